"""API listing cost (PostgreSQL): page 10,000 of a 1M-lead workspace's leads costs <= 1.5x
page 1, in the same number of queries (keyset cursors, no OFFSET).

A throwaway database on 127.0.0.1 gets `--n` leads (generate_series) in one workspace, plus a
smaller second workspace so the scan has rows to skip. Both pages are requested through the
whole stack (Django test client → auth → the leads endpoint), 50 leads a page, each `--repeat`
times alternately; the medians are compared. Page 10,000's cursor is the one a client holds
after walking 9,999 pages (the id of the 499,950th newest lead).
Usage: .venv/bin/python bench/api.py [--n 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PAGE = 50
TARGET_PAGE = 10_000


def populate(n: int):
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.models import Lead

    other = Workspace.objects.create(name="neighbour")
    workspace = Workspace.objects.create(name="1M leads")
    table, now = Lead._meta.db_table, timezone.now()
    with connection.cursor() as cursor:
        for ws, count, tag in ((other, n // 10, "o"), (workspace, n, "l")):
            cursor.execute(
                f"""INSERT INTO {table} (workspace_id, email, email_normalized, first_name,
                    last_name, company, title, website, phone, timezone, custom, tags, status,
                    created_at, updated_at)
                SELECT %s, '{tag}' || g || '@x.example', '{tag}' || g || '@x.example',
                    'First' || g, 'Last', 'Company ' || (g %% 1000), '', '', '', '',
                    '{{"plan": "pro"}}', '', 'active', %s, %s
                FROM generate_series(1, %s) AS g""",
                [ws.pk, now, now, count],
            )
        cursor.execute("ANALYZE")
    return workspace


def measure(n: int, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from api.core import encode_cursor
    from api.services import apikey_create
    from campaigns.models import Lead

    workspace = populate(n)
    owner = User.objects.create_user("owner@x.example", "x")
    _key, secret = apikey_create(
        workspace=workspace, name="bench", scope="read", expires_at=None, user=owner
    )
    newest_first = Lead.objects.filter(workspace=workspace).order_by("-pk")
    offset = (TARGET_PAGE - 1) * PAGE
    cursor = encode_cursor(newest_first.values_list("pk", flat=True)[offset - 1])
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    paths = {
        "page 1": f"/api/v1/leads?limit={PAGE}",
        f"page {TARGET_PAGE:,}": f"/api/v1/leads?limit={PAGE}&cursor={cursor}",
    }
    times = {label: [] for label in paths}
    queries = {}
    for path in paths.values():  # warm up (the key's last-use stamp is written once a minute)
        client.get(path)
    for label, path in paths.items():  # count the queries of each
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, response.content[:300]
        rows = response.json()["data"]
        assert len(rows) == PAGE
        queries[label] = len(captured)
        print(f"{label}: first lead {rows[0]['email']}, {len(captured)} queries")
    for _ in range(repeat):
        for label, path in paths.items():
            started = time.perf_counter()
            client.get(path)
            times[label].append(time.perf_counter() - started)
    first, deep = (statistics.median(times[label]) for label in paths)
    print(
        f"{n:,} leads: page 1 {first * 1000:.2f} ms, page {TARGET_PAGE:,} {deep * 1000:.2f} ms "
        f"(medians of {repeat}); queries {queries}"
    )
    same = len(set(queries.values())) == 1
    result(
        "api", "leads_page_10000_vs_page_1_time", deep, first, "ratio <= 1.5", deep <= 1.5 * first
    )
    result(
        "api",
        "leads_page_10000_vs_page_1_queries",
        queries[f"page {TARGET_PAGE:,}"],
        queries["page 1"],
        "same number of queries",
        same,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    if args.n < TARGET_PAGE * PAGE:
        parser.error(
            f"--n must hold {TARGET_PAGE:,} pages of {PAGE}: at least {TARGET_PAGE * PAGE:,}"
        )
    import psycopg

    name = f"postigo_api_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        django_in_tempdir()
        measure(args.n, args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
