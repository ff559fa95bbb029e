"""Claim cost against history (PostgreSQL, issue 27 item 1): one mailbox's claim of 20 due new
leads, on a database whose running campaign has 0 or 100,000 messages sent on earlier days.

Before issue 27 the claim re-counted the campaign's first steps queued today (no index keeps
that count small: it reads the campaign's whole history); now a per-day counter row is locked
and incremented in the claim. Printed: statements and median ms per claim at both sizes, and
the baseline in the same run: the count the old claim ran, timed on the same database.
`--tree PATH` runs the claims with another checkout's code (e.g. a main before issue 27).
Usage: .venv/bin/python bench/claim_history.py [--history 100000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
TREE = os.environ.get("POSTIGO_BENCH_TREE")
sys.path[0] = TREE or str(HERE)
from bench._setup import django_in_tempdir, result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
BATCH = 20


def populate(history: int, due: int):
    import datetime

    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring.services import campaign_create, variant_save
    from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage
    from campaigns.stats import stats_rebuild
    from smtp_accounts.models import Mailbox

    workspace = Workspace.objects.create(name="claims")
    mailbox = Mailbox.objects.create(
        workspace=workspace,
        email="m@acme.example",
        smtp_host="localhost",
        smtp_username="x",
        smtp_password="x",
        daily_cap=5000,
        hourly_cap=1000,
        min_gap_seconds=0,
        gap_jitter_seconds=0,
        warmup_enabled=False,
    )
    campaign = campaign_create(workspace=workspace, name="claims")
    step = campaign.steps.get()
    variant = step.variants.get()
    variant_save(variant=variant, subject="Hi", body_html="<p>Hi</p>", weight=1)
    campaign.send_days = "0123456"
    campaign.window_start, campaign.window_end = datetime.time(0), datetime.time(23, 59)
    campaign.daily_cap = 1_000_000
    campaign.status = Campaign.Status.RUNNING
    campaign.save()
    campaign.mailboxes.add(mailbox)
    lead, enrollment = Lead._meta.db_table, Enrollment._meta.db_table
    message = OutboundMessage._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {lead} (workspace_id, email, email_normalized, first_name,
                last_name, company, title, website, phone, timezone, custom, tags, status,
                created_at, updated_at)
            SELECT %s, 'l' || g || '@x.example', 'l' || g || '@x.example', '', '',
                '', '', '', '', '', '{{}}', '', 'active', %s, %s
            FROM generate_series(1, %s) AS g""",
            [workspace.pk, now, now, history + due],
        )
        # The first `history` leads completed on earlier days; the others wait (not due yet).
        cursor.execute(
            f"""INSERT INTO {enrollment} (campaign_id, lead_id, mailbox_id, status, stop_reason,
                next_step, next_due_at, created_at)
            SELECT %s, l.id, %s,
                CASE WHEN n <= %s THEN 'completed' ELSE 'active' END, '', 1,
                CASE WHEN n <= %s THEN NULL ELSE %s + interval '30 days' END, %s
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {lead}
                  WHERE workspace_id = %s) l""",
            [campaign.pk, mailbox.pk, history, history, now, now, workspace.pk],
        )
        cursor.execute(
            f"""INSERT INTO {message} (enrollment_id, step_id, variant_id, mailbox_id, state,
                token, recipient, message_id, in_reply_to, "references", subject, body_html,
                body_text, attempts, smtp_response, queued_at, sent_at)
            SELECT e.id, %s, %s, e.mailbox_id, 'sent', md5(e.id::text || random()::text),
                'x@x.example', '', '', '', 'Hi', '', '', 1, '250 ok',
                %s - (1 + e.id %% 300) * interval '1 day', %s - (1 + e.id %% 300) * interval '1 day'
            FROM {enrollment} e WHERE e.campaign_id = %s AND e.status = 'completed'""",
            [step.pk, variant.pk, now, now, campaign.pk],
        )
        cursor.execute("ANALYZE")
    stats_rebuild([campaign.pk])
    return campaign, mailbox


def child(history: int, rounds: int) -> None:
    django_in_tempdir()
    import datetime
    import zoneinfo

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from campaigns.models import Enrollment, OutboundMessage
    from campaigns.sending.dispatch import messages_claim

    campaign, mailbox = populate(history, due=BATCH * (rounds + 1))
    waiting = list(
        Enrollment.objects.filter(campaign=campaign, status="active")
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    def one_claim():
        now = timezone.now()
        batch = [waiting.pop() for _ in range(BATCH)]
        Enrollment.objects.filter(pk__in=batch).update(next_due_at=now)
        started = time.perf_counter()
        claimed = messages_claim(mailbox_id=mailbox.pk, now=now, batch=BATCH)
        took = time.perf_counter() - started
        assert len(claimed) == BATCH, len(claimed)
        return took

    with CaptureQueriesContext(connection) as queries:
        one_claim()
    timings = [one_claim() for _ in range(rounds)]
    now = timezone.now()
    tz = zoneinfo.ZoneInfo(campaign.timezone)
    start = datetime.datetime.combine(now.astimezone(tz).date(), datetime.time(0), tzinfo=tz)
    counts = []
    for _ in range(rounds):  # the statement the old claim ran on every claim
        started = time.perf_counter()
        OutboundMessage.objects.filter(
            enrollment__campaign=campaign, step__position=1, queued_at__gte=start
        ).count()
        counts.append(time.perf_counter() - started)
    print(
        json.dumps(
            {
                "claim_ms": statistics.median(timings) * 1000,
                "queries": len(queries),
                "old_count_ms": statistics.median(counts) * 1000,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--tree", help="run the claims with this checkout's code")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import psycopg

    figures = {}
    for label, history in (("without", 0), ("with", args.history)):
        name = f"postigo_claims_{os.getpid()}_{label}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}")
        if args.tree:
            env["POSTIGO_BENCH_TREE"] = args.tree
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(history), str(args.rounds)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        figures[label] = f = json.loads(out.strip().splitlines()[-1])
        print(
            f"{label} history ({history:,} old messages): claim of {BATCH} new leads "
            f"{f['claim_ms']:.1f} ms in {f['queries']} statements; "
            f"the old claim's count alone {f['old_count_ms']:.1f} ms"
        )
    load = os.getloadavg()[0]
    print(f"load average while measuring: {load:.1f}")
    without, with_ = figures["without"], figures["with"]
    result(
        "claim_history",
        "ms per claim, with history / without",
        with_["claim_ms"],
        without["claim_ms"],
        "ratio <= 1.2 and the same statements",
        with_["claim_ms"] <= 1.2 * without["claim_ms"] and with_["queries"] == without["queries"],
    )


if __name__ == "__main__":
    main()
