"""Lead import throughput: 100k leads from CSV end to end vs bare csv.reader + bulk_create.

Ours: `lead_import_create` (decode, sniff, count) then `lead_import_run` (map, validate with
email-validator, dedupe, suppression, existing-lead lookup, chunked transactions with a
checkpoint, list memberships). Baseline, same rows, same database, same run: csv.reader and
`Lead.objects.bulk_create` of the same three columns (no validation, no list). Runs once on
SQLite and once on PostgreSQL (127.0.0.1, a throwaway database), each in its own process.
Targets: ratio >= 0.4 of the baseline's rows/s; peak memory of the import under 300 MB.
Usage: .venv/bin/python bench/import_leads.py [--n 100000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def csv_data(n: int) -> bytes:
    lines = ["Email,First Name,Company,City"]
    lines += [f"lead{i}@example{i % 500}.com,Name{i},Company {i % 1000},Berlin" for i in range(n)]
    return ("\r\n".join(lines) + "\r\n").encode()


def child(db: str, n: int) -> None:
    """Measure in this process, on one database; print one JSON dict."""
    django_in_tempdir()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log growing with every statement
    from accounts.models import Workspace
    from campaigns.leads.imports import lead_import_create, lead_import_run, lead_import_start
    from campaigns.models import Lead, LeadImport, LeadList

    data = csv_data(n)
    ours_ws = Workspace.objects.create(name="ours")
    base_ws = Workspace.objects.create(name="baseline")
    lead_list = LeadList.objects.create(workspace=ours_ws, name="bench")

    started = time.perf_counter()
    imp = lead_import_create(
        workspace=ours_ws, user=None, lead_list=lead_list, filename="b.csv", data=data
    )
    from celery import current_app

    current_app.conf.task_always_eager = False  # we call the run ourselves, in this process
    LeadImport.objects.filter(pk=imp.pk).update(mapping=imp.mapping)
    imp.status = LeadImport.Status.MAPPING
    lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)
    lead_import_run(imp.pk)
    ours = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    imp.refresh_from_db()
    assert imp.imported == n, (imp.status, imp.error, imp.imported)

    import csv
    import io

    started = time.perf_counter()
    reader = csv.reader(io.StringIO(data.decode(), newline=""))
    next(reader)
    batch = []
    for email, first, company, _city in reader:
        batch.append(
            Lead(
                workspace=base_ws,
                email=email,
                email_normalized=email.lower(),
                first_name=first,
                company=company,
            )
        )
        if len(batch) == 2000:
            Lead.objects.bulk_create(batch)
            batch = []
    Lead.objects.bulk_create(batch)
    baseline = time.perf_counter() - started
    print(json.dumps({"db": db, "ours": n / ours, "baseline": n / baseline, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n)
        return
    lines = []
    for db in args.db.split(","):
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        name = f"postigo_bench_{os.getpid()}"
        if db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", db, "--n", str(args.n)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            if db == "postgres":
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        figures = json.loads(out.strip().splitlines()[-1])
        print(
            f"{db}: ours {figures['ours']:.0f} rows/s, baseline {figures['baseline']:.0f} rows/s, "
            f"peak {figures['peak_mb']:.0f} MB"
        )
        lines.append(figures)
    for f in lines:
        ratio = f["ours"] / f["baseline"]
        result(
            f"import_leads_{f['db']}",
            "rows_per_second",
            f["ours"],
            f["baseline"],
            "ratio >= 0.4",
            ratio >= 0.4,
        )
    for f in lines:
        result(
            f"import_leads_{f['db']}_memory",
            "peak_mb",
            f["peak_mb"],
            None,
            "value < 300",
            f["peak_mb"] < 300,
        )


if __name__ == "__main__":
    main()
