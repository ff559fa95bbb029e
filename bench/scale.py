"""Scale (PostgreSQL): work must follow what is due, not what exists.

1. A dispatcher tick with 1k due enrollments among 1M takes <= 1.5x the same tick among 10k
   (20 mailboxes x 50 claims), peak memory < 300 MB.
2. A campaign report with 1M events takes <= 3x the report with 10k events, same query count.
   Also printed (no target in the issue): the People page's reads at both sizes, and the time
   its CSV download takes for its first 10,000 rows.
Leads, enrollments and messages are generated in the database with generate_series (a throwaway
database on 127.0.0.1) and counted once with stats_rebuild; the events go through the tracking
flush's own code (record_hits), which keeps the counters.
Usage: .venv/bin/python bench/scale.py [--big 1000000] [--small 10000]
"""

from __future__ import annotations

import argparse
import itertools
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
MAILBOXES = 20
DUE = 1000


def populate(total: int):
    """A running one-step campaign with `total` enrollments over 20 mailboxes, DUE of them due."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring.services import campaign_create, variant_save
    from campaigns.models import Campaign, Enrollment, Lead
    from campaigns.stats import stats_rebuild
    from smtp_accounts.models import Mailbox

    workspace = Workspace.objects.create(name=f"scale {total}")
    mailboxes = [
        Mailbox.objects.create(
            workspace=workspace,
            email=f"m{i}-{total}@acme.example",
            smtp_host="localhost",
            smtp_port=2525,
            smtp_username="x",
            smtp_password="x",
            daily_cap=10_000,
            hourly_cap=10_000,
            min_gap_seconds=0,
            gap_jitter_seconds=0,
            warmup_enabled=False,
        )
        for i in range(MAILBOXES)
    ]
    campaign = campaign_create(workspace=workspace, name="scale")
    variant_save(
        variant=campaign.steps.get().variants.get(), subject="Hi", body_html="<p>Hi</p>", weight=1
    )
    campaign.send_days = "0123456"
    campaign.window_start, campaign.window_end = datetime.time(0), datetime.time(23, 59)
    campaign.daily_cap = 1_000_000
    campaign.status = Campaign.Status.RUNNING
    campaign.save()
    lead, enrollment = Lead._meta.db_table, Enrollment._meta.db_table
    now = timezone.now()
    first_mailbox = mailboxes[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {lead} (workspace_id, email, email_normalized, first_name,
                last_name, company, title, website, phone, timezone, custom, tags, status,
                created_at, updated_at)
            SELECT %s, 'l' || g || '-{total}@x.example', 'l' || g || '-{total}@x.example', '', '',
                '', '', '', '', '', '{{}}', '', 'active', %s, %s
            FROM generate_series(1, %s) AS g""",
            [workspace.pk, now, now, total],
        )
        cursor.execute(
            f"""INSERT INTO {enrollment} (campaign_id, lead_id, mailbox_id, status, stop_reason,
                next_step, next_due_at, created_at)
            SELECT %s, l.id, %s + (row_number() OVER (ORDER BY l.id) %% {MAILBOXES}),
                'active', '', 1,
                CASE WHEN row_number() OVER (ORDER BY l.id) <= {DUE}
                     THEN %s - interval '1 minute' ELSE %s + interval '30 days' END, %s
            FROM {lead} l WHERE l.workspace_id = %s""",
            [campaign.pk, first_mailbox, now, now, now, workspace.pk],
        )
        cursor.execute("ANALYZE")
    stats_rebuild([campaign.pk])  # enrolled in SQL, not by campaign_enroll: count them once
    return campaign


def add_events(campaign, count: int) -> None:
    """`count` opens on messages of the campaign (ten per message, a third by machines),
    recorded the way the tracking flush records them (`engagement.record_hits`)."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Enrollment, OutboundMessage
    from campaigns.stats import stats_rebuild
    from campaigns.tracking.buffer import OPEN, Hit
    from campaigns.tracking.flush import record_hits

    messages = OutboundMessage._meta.db_table
    step = campaign.steps.get()
    variant = step.variants.get()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {messages} (enrollment_id, step_id, variant_id, mailbox_id, state,
                token, recipient, message_id, in_reply_to, "references", subject, body_html,
                body_text, attempts, smtp_response, queued_at, sent_at)
            SELECT e.id, %s, %s, e.mailbox_id, 'sent', md5(e.id::text || random()::text),
                'x@x.example', '', '', '', 'Hi', '', '', 1, '250 ok', %s, %s
            FROM {Enrollment._meta.db_table} e WHERE e.campaign_id = %s AND e.next_due_at > %s
            LIMIT %s""",
            [step.pk, variant.pk, now, now, campaign.pk, now, max(1, count // 10)],
        )
        cursor.execute("ANALYZE")
    stats_rebuild([campaign.pk])  # the messages were generated in SQL: count them once
    tokens = list(
        OutboundMessage.objects.filter(step=step).order_by("pk").values_list("token", flat=True)
    )
    later = now + datetime.timedelta(minutes=5)
    human = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0"
    batch: list[Hit] = []
    for n in range(count):
        agent = "Mozilla/5.0" if n % 3 == 0 else human  # Apple's privacy proxy, or a person
        batch.append(Hit(f"b{n}", OPEN, tokens[n % len(tokens)], None, agent, later))
        if len(batch) == 5000:
            record_hits(batch)
            batch = []
    record_hits(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(total: int, events: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.reports.numbers import campaign_report
    from campaigns.sending.dispatch import dispatch_tick

    campaign = populate(total)
    started = time.perf_counter()
    claimed = dispatch_tick()
    tick = time.perf_counter() - started
    assert claimed == DUE, claimed
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    add_events(campaign, events)
    recording = time.perf_counter() - started
    campaign_report(campaign)  # warm
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        campaign_report(campaign)
        report = time.perf_counter() - started
    people_page(campaign)  # warm
    with CaptureQueriesContext(connection) as people_queries:
        started = time.perf_counter()
        people_page(campaign)
        people = time.perf_counter() - started
    started = time.perf_counter()
    exported = people_export(campaign)
    export = time.perf_counter() - started
    return {
        "tick": tick,
        "report": report,
        "queries": len(queries.captured_queries),
        "people": people,
        "people_queries": len(people_queries.captured_queries),
        "export": export,
        "exported": exported,
        "peak_mb": peak,
        "events_per_s": events / recording,
    }


def people_page(campaign) -> None:
    """What the People page reads: the filters' counts, the page count, the first 50
    enrollments and their messages."""
    from django.core.paginator import Paginator

    from campaigns.reports import people

    page = Paginator(people.campaign_people(campaign), 50).get_page(1)
    people.people_progress(list(page.object_list))
    people.people_counts(campaign)


def people_export(campaign, rows: int = 10_000) -> int:
    """The People download's first rows (a chunk of 1,000 at a time after the last key)."""
    from campaigns.reports import people

    return sum(1 for _row in itertools.islice(people.people_rows(campaign), rows))


def child(total: int, events: int) -> None:
    django_in_tempdir()
    from django.conf import settings

    from postigo.celery import app

    settings.DEBUG = False
    app.conf.broker_url = "memory://"  # the send tasks are queued, not run: only the tick counts
    app.conf.task_always_eager = False
    print(json.dumps(measure(total, events)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import psycopg

    figures = {}
    for label, total in (("small", args.small), ("big", args.big)):
        name = f"postigo_scale_{os.getpid()}_{label}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}")
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(total), str(total)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        finally:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        figures[label] = json.loads(out.strip().splitlines()[-1])
        f = figures[label]
        print(
            f"{label}: {total} enrollments, tick {f['tick'] * 1000:.0f} ms; {total} events, "
            f"recorded at {f['events_per_s']:,.0f}/s, "
            f"report {f['report'] * 1000:.1f} ms in {f['queries']} queries; "
            f"People page {f['people'] * 1000:.1f} ms in {f['people_queries']} queries; "
            f"its CSV's first {f['exported']:,} rows {f['export'] * 1000:.0f} ms; "
            f"peak {f['peak_mb']:.0f} MB after the tick"
        )
    small, big = figures["small"], figures["big"]
    result(
        "scale_dispatch_tick",
        "seconds",
        big["tick"],
        small["tick"],
        "ratio <= 1.5",
        big["tick"] / small["tick"] <= 1.5,
    )
    result(
        "scale_dispatch_memory",
        "peak_mb",
        big["peak_mb"],
        None,
        "value < 300",
        big["peak_mb"] < 300,
    )
    result(
        "scale_report",
        "seconds",
        big["report"],
        small["report"],
        "ratio <= 3 and same queries",
        big["report"] / small["report"] <= 3 and big["queries"] == small["queries"],
    )


if __name__ == "__main__":
    main()
