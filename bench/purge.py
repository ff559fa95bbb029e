"""Retention purge (PostgreSQL): 1M expired tracking events and 1M expired send logs among as many
live ones go in bounded batches, while sending goes on.

Targets (issue 22): the purge process's peak memory < 300 MB, and a dispatcher tick run while
the purge runs takes <= 1.5x the same tick without it (medians). Also printed: rows/s.

A running campaign with 100k enrollments over 20 mailboxes (1,000 of them due) is generated
with generate_series in a throwaway database on 127.0.0.1, with one sent message per other
enrollment, then `--n` expired and `--n` live events and send logs (the expired ones older, so
lower keys, as time makes them). The baseline is the same dispatcher tick, same data, run just
before the purge starts. The purge runs in its own process (as on a worker):
`purge_rule("send_logs")` then `purge_rule("tracking_events")`; between ticks the claimed
enrollments are made due again and the mailboxes' counters reset, so every tick does the same
work.
Usage: .venv/bin/python bench/purge.py [--n 1000000] [--enrollments 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import busy_seconds, django_in_tempdir, result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
MAILBOXES = 20
DUE = 1000
BASELINE_TICKS = 7


def populate(enrollments: int, n: int) -> list[int]:
    import datetime

    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring.services import campaign_create, variant_save
    from campaigns.models import Campaign, Enrollment, Event, Lead, OutboundMessage
    from smtp_accounts.models import Mailbox, SendLog

    workspace = Workspace.objects.create(name="purge bench")
    mailboxes = [
        Mailbox.objects.create(
            workspace=workspace,
            email=f"m{i}@acme.example",
            smtp_host="localhost",
            smtp_port=2525,
            smtp_username="x",
            smtp_password="x",
            daily_cap=5000,
            hourly_cap=1000,
            min_gap_seconds=0,
            gap_jitter_seconds=0,
            warmup_enabled=False,
        )
        for i in range(MAILBOXES)
    ]
    campaign = campaign_create(workspace=workspace, name="purge bench")
    step = campaign.steps.get()
    variant = step.variants.get()
    variant_save(variant=variant, subject="Hi", body_html="<p>Hi</p>", weight=1)
    campaign.send_days = "0123456"
    campaign.window_start, campaign.window_end = datetime.time(0), datetime.time(23, 59)
    campaign.daily_cap = 1_000_000
    campaign.status = Campaign.Status.RUNNING
    campaign.save()
    now = timezone.now()
    old = now - datetime.timedelta(days=500)
    lead, enrollment = Lead._meta.db_table, Enrollment._meta.db_table
    message, event, log = (
        OutboundMessage._meta.db_table,
        Event._meta.db_table,
        SendLog._meta.db_table,
    )
    first_mailbox = mailboxes[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {lead} (workspace_id, email, email_normalized, first_name,
                last_name, company, title, website, phone, timezone, custom, tags, status,
                created_at, updated_at)
            SELECT %s, 'l' || g || '@x.example', 'l' || g || '@x.example', '', '',
                '', '', '', '', '', '{{}}', '', 'active', %s, %s
            FROM generate_series(1, %s) AS g""",
            [workspace.pk, now, now, enrollments],
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
        cursor.execute(
            f"""INSERT INTO {message} (enrollment_id, step_id, variant_id, mailbox_id, state,
                token, recipient, message_id, in_reply_to, "references", subject, body_html,
                body_text, attempts, smtp_response, queued_at, sent_at)
            SELECT e.id, %s, %s, e.mailbox_id, 'sent', md5(e.id::text || random()::text),
                'x@x.example', '', '', '', 'Hi', '', '', 1, '250 ok', %s, %s
            FROM {enrollment} e WHERE e.campaign_id = %s AND e.next_due_at > %s""",
            [step.pk, variant.pk, old, old, campaign.pk, now],
        )
        cursor.execute(f"SELECT min(id), max(id) FROM {message}")
        low, high = cursor.fetchone()
        span = high - low + 1
        for when in (old, now - datetime.timedelta(days=1)):  # expired first: lower keys
            cursor.execute(
                f"""INSERT INTO {event} (message_id, kind, machine, user_agent, created_at)
                SELECT %s + (g %% %s), 'open', false, 'Mozilla/5.0', %s
                FROM generate_series(1, %s) AS g""",
                [low, span, when, n],
            )
            cursor.execute(
                f"""INSERT INTO {log} (mailbox_id, recipient, message_id, outcome, code,
                    response, elapsed_ms, created_at)
                SELECT %s + (g %% {MAILBOXES}), 'l' || g || '@x.example', '', 'sent', 250,
                    '250 2.0.0 Ok: queued', 120, %s
                FROM generate_series(1, %s) AS g""",
                [first_mailbox, when, n],
            )
        cursor.execute("ANALYZE")
    due = list(
        Enrollment.objects.filter(campaign=campaign, next_due_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    assert len(due) == DUE
    return due


def reset(due: list[int]) -> None:
    """Undo a tick: its queued messages go, its enrollments are due again, capacity is free."""
    import datetime

    from django.utils import timezone

    from campaigns.models import Enrollment, OutboundMessage
    from smtp_accounts.models import Mailbox

    OutboundMessage.objects.filter(state=OutboundMessage.State.QUEUED).delete()
    Enrollment.objects.filter(pk__in=due).update(
        next_due_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    Mailbox.objects.update(
        sent_today=0, sent_this_hour=0, next_send_at=None, hour_window_start=None
    )


def timed_tick(due: list[int]) -> float:
    from campaigns.sending.dispatch import dispatch_tick

    reset(due)
    started = time.perf_counter()
    claimed = dispatch_tick()
    elapsed = time.perf_counter() - started
    assert claimed == DUE, claimed
    return elapsed


def purge_process() -> None:
    """Runs in its own process, as on a worker: the two rules, then its own figures."""
    django_in_tempdir()
    from privacy.purge import purge_rule

    print("ready", flush=True)  # set up: the ticks "during the purge" start now
    started = time.perf_counter()
    runs = [purge_rule(key="send_logs"), purge_rule(key="tracking_events")]
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "deleted": {run.rule: run.deleted for run in runs},
                "batches": sum(run.batches for run in runs),
                "seconds": seconds,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def child(n: int, enrollments: int) -> None:
    django_in_tempdir()
    from django.conf import settings

    from campaigns.models import Event
    from postigo.celery import app
    from smtp_accounts.models import SendLog

    settings.DEBUG = False
    app.conf.broker_url = "memory://"  # the send tasks are queued, not run: only the tick counts
    app.conf.task_always_eager = False
    started = time.perf_counter()
    due = populate(enrollments, n)
    print(f"populated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    timed_tick(due)  # warm
    baseline = [timed_tick(due) for _ in range(BASELINE_TICKS)]
    busy_before, wall_before = busy_seconds(), time.monotonic()
    purge = subprocess.Popen(
        [sys.executable, __file__, "--purge"],
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert purge.stdout.readline().strip() == "ready"
    during = []
    while purge.poll() is None:
        during.append(timed_tick(due))
    out, _err = purge.communicate()
    load = (busy_seconds() - busy_before) / (time.monotonic() - wall_before)
    figures = json.loads(out.strip().splitlines()[-1])
    figures.update(
        baseline=statistics.median(baseline),
        during=statistics.median(during) if during else None,
        ticks_during=len(during),
        machine_load=load,
        left_events=Event.objects.count(),
        left_logs=SendLog.objects.count(),
    )
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--enrollments", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--purge", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.purge:
        purge_process()
        return
    if args.child:
        child(*args.child)
        return
    import psycopg

    name = f"postigo_purge_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}")
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(args.n), str(args.enrollments)],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            sys.exit(f"the benchmark failed:\n{done.stderr[-4000:]}")
        out = done.stdout
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    f = json.loads(out.strip().splitlines()[-1])
    deleted = sum(f["deleted"].values())
    rate = deleted / f["seconds"]
    print(
        f"purged {f['deleted']} ({deleted:,} rows, {f['batches']} batches) in "
        f"{f['seconds']:.1f} s = {rate:,.0f} rows/s, peak {f['peak_mb']:.0f} MB; "
        f"left {f['left_events']:,} events and {f['left_logs']:,} send logs (the live ones); "
        f"dispatcher tick ({DUE} claims) {f['baseline'] * 1000:.0f} ms alone, "
        f"{(f['during'] or 0) * 1000:.0f} ms during the purge (median of {f['ticks_during']}); "
        f"machine load {f['machine_load']:.2f} of 2 cores during the purge"
    )
    assert f["left_events"] == args.n and f["left_logs"] == args.n, "the purge took live rows"
    result("purge_rows_per_s", "rows/s", rate, None, "reported", True)
    result("purge_memory", "peak_mb", f["peak_mb"], None, "value < 300", f["peak_mb"] < 300)
    during = f["during"] or f["baseline"]
    result(
        "purge_dispatch_tick",
        "seconds",
        during,
        f["baseline"],
        "ratio <= 1.5",
        during / f["baseline"] <= 1.5,
    )


if __name__ == "__main__":
    main()
