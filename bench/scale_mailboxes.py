"""Scale by mailboxes (PostgreSQL, issue 27): one dispatcher tick with N mailboxes holding one due
enrollment each, among 1M enrollments not due yet, without and with 1M messages of history.

Measured in the same run, on the same database:
- the tick in one process (the due-mailbox query, then the set-based claim of each shard batch):
  ms and statements per mailbox at N = 100 and N = 10,000, without and with history;
- the baseline: the per-mailbox claim (`messages_claim`, one mailbox a transaction, as every
  claim was before issue 27) at N = 100;
- the tick as deployed: beat's `dispatch_tick_once` fans claim tasks out to a real Celery worker
  started as `Procfile` starts it (prefork, WORKER_CONCURRENCY=4, the `claim` queue; the send
  tasks it enqueues are left in Redis and purged: nothing is mailed), timed until every mailbox
  has its message queued;
- peak memory (max RSS) of the measuring process and of the worker's processes.
The data is generated in the database with generate_series: 500 workspaces of 20 mailboxes at
N = 10,000, each workspace one running two-step campaign; the not-due enrollments wait for their
second step, and the history is their first step, sent on earlier days.
Usage: .venv/bin/python bench/scale_mailboxes.py [--n 100,10000] [--enrollments 1000000]
       [--history 1000000] [--keep-db] (reuses a database kept by an earlier --keep-db run)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path[0] = str(HERE)
from bench._setup import django_in_tempdir, result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS = os.environ.get("POSTIGO_BENCH_REDIS", "redis://127.0.0.1:6379/1")
PER_WORKSPACE = 20
WORKERS = 4  # Procfile: --concurrency ${WORKER_CONCURRENCY:-4}
TICK_SECONDS = 15  # beat's period for the dispatcher


def populate(mailboxes: int, enrollments: int) -> None:
    """`mailboxes` mailboxes in workspaces of PER_WORKSPACE, one campaign each; `enrollments`
    active enrollments waiting for step 2 in three days, and one new lead per mailbox (due only
    when a run makes it so)."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import Workspace
    from billing.models import BillingAccount
    from campaigns.authoring.services import campaign_create, step_add, variant_save
    from campaigns.models import Campaign, Enrollment, Lead
    from smtp_accounts.models import Mailbox

    count = -(-mailboxes // PER_WORKSPACE)
    workspaces = Workspace.objects.bulk_create(Workspace(name=f"w{i}") for i in range(count))
    BillingAccount.objects.bulk_create(
        BillingAccount(workspace=w, balance=10**12, currency="EUR") for w in workspaces
    )
    created = Mailbox.objects.bulk_create(
        Mailbox(
            workspace=workspaces[i // PER_WORKSPACE],
            email=f"m{i}@acme.example",
            smtp_host="localhost",
            smtp_username=f"m{i}",
            smtp_password="x",
            daily_cap=500,
            hourly_cap=100,
            min_gap_seconds=120,
            gap_jitter_seconds=60,
            warmup_enabled=False,
        )
        for i in range(mailboxes)
    )
    campaigns = []
    for i, workspace in enumerate(workspaces):
        campaign = campaign_create(workspace=workspace, name="outreach")
        step_add(campaign=campaign)
        for step in campaign.steps.all():
            variant_save(variant=step.variants.get(), subject="Hi", body_html="<p>Hi</p>", weight=1)
        campaign.send_days, campaign.daily_cap = "0123456", 1000
        campaign.window_start, campaign.window_end = _time(0), _time(23, 59)
        campaign.status = Campaign.Status.RUNNING
        campaign.save()
        campaign.mailboxes.add(*created[i * PER_WORKSPACE : (i + 1) * PER_WORKSPACE])
        campaigns.append(campaign)
    ws_ids = [w.pk for w in workspaces]
    mb_ids = [m.pk for m in created]
    camp_ids = [c.pk for c in campaigns]
    lead, enrollment = Lead._meta.db_table, Enrollment._meta.db_table
    now = timezone.now()
    # Lead g belongs to mailbox k = g % mailboxes, of workspace k / PER_WORKSPACE (0-based).
    mapping = f"(g %% {mailboxes})", f"((g %% {mailboxes}) / {PER_WORKSPACE})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {lead} (workspace_id, email, email_normalized, first_name,
                last_name, company, title, website, phone, timezone, custom, tags, status,
                created_at, updated_at)
            SELECT (%s::bigint[])[1 + {mapping[1]}], 'l' || g || '@x.example',
                'l' || g || '@x.example', '', '', '', '', '', '', '', '{{}}', '', 'active', %s, %s
            FROM generate_series(1, %s) AS g""",
            [ws_ids, now, now, enrollments + mailboxes],
        )
        cursor.execute(
            f"""INSERT INTO {enrollment} (campaign_id, lead_id, mailbox_id, status, stop_reason,
                next_step, next_due_at, created_at)
            SELECT (%s::bigint[])[1 + {mapping[1]}], l.id, (%s::bigint[])[1 + {mapping[0]}],
                'active', '', CASE WHEN g <= %s THEN 2 ELSE 1 END,
                CASE WHEN g <= %s THEN %s + interval '3 days' END, %s
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS g FROM {lead}) l""",
            [camp_ids, mb_ids, enrollments, enrollments, now, now],
        )
    _vacuum()


def add_history(enrollments: int) -> None:
    """Step 1 sent, on one of the last 300 days, to the first `enrollments` waiting leads."""
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import Enrollment, OutboundMessage, Step

    message, enrollment = OutboundMessage._meta.db_table, Enrollment._meta.db_table
    step, variant = Step._meta.db_table, "campaigns_variant"
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {message} (enrollment_id, step_id, variant_id, mailbox_id, state,
                token, recipient, message_id, in_reply_to, "references", subject, body_html,
                body_text, attempts, smtp_response, queued_at, sent_at)
            SELECT e.id, s.id, v.id, e.mailbox_id, 'sent', md5(e.id::text || random()::text),
                'x@x.example', '', '', '', 'Hi', '', '', 1, '250 ok',
                %s - (1 + e.id %% 300) * interval '1 day', %s - (1 + e.id %% 300) * interval '1 day'
            FROM {enrollment} e
            JOIN {step} s ON s.campaign_id = e.campaign_id AND s.position = 1
            JOIN {variant} v ON v.step_id = s.id
            WHERE e.next_step = 2 AND e.id IN (
                SELECT id FROM {enrollment} WHERE next_step = 2 ORDER BY id LIMIT %s)""",
            [now, now, enrollments],
        )
    _vacuum()


def _vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def _time(hour: int, minute: int = 0):
    import datetime

    return datetime.time(hour, minute)


def make_due(n: int) -> list[int]:
    """A fresh start: nothing queued, no counters spent; the first `n` mailboxes' new lead due."""
    import datetime

    from django.db import connection
    from django.utils import timezone

    from campaigns.models import CampaignDay, Enrollment, OutboundMessage
    from smtp_accounts.models import Mailbox

    OutboundMessage.objects.filter(state="queued").delete()
    CampaignDay.objects.all().delete()
    Mailbox.objects.update(sent_today=0, sent_this_hour=0, next_send_at=None, capped_until=None)
    due = list(Mailbox.objects.order_by("pk").values_list("pk", flat=True)[:n])
    Enrollment.objects.filter(next_step=1).update(next_due_at=None)
    Enrollment.objects.filter(next_step=1, mailbox_id__in=due).update(
        next_due_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return due


class Statements:
    """Counts the statements sent to the database while installed."""

    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def tick_in_process(n: int, *, per_mailbox: bool = False) -> dict:
    from django.db import connection
    from django.utils import timezone

    from campaigns.models import OutboundMessage
    from campaigns.sending.claims import mailboxes_claim
    from campaigns.sending.dispatch import due_mailboxes, messages_claim, shards

    make_due(n)
    counter = Statements()
    now = timezone.now()
    with connection.execute_wrapper(counter):
        started, cpu = time.perf_counter(), time.process_time()
        due = due_mailboxes(now)
        if per_mailbox:
            claimed = sum(len(messages_claim(mailbox_id=pk, now=now)) for pk in due)
        else:
            claimed = sum(
                len(ids)
                for batch in shards(due)
                for ids in mailboxes_claim(mailbox_ids=batch, now=now).values()
            )
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(due) == n == claimed == OutboundMessage.objects.filter(state="queued").count(), (
        len(due),
        n,
        claimed,
    )
    return {
        "ms_per_mailbox": took * 1000 / n,
        "seconds": took,
        "python_ms_per_mailbox": cpu * 1000 / n,  # this process's CPU (the rest: the database)
        "statements": counter.n / n,
    }


def tick_on_workers(n: int, folder: str) -> dict:
    """Beat's tick against a real worker, until every mailbox has its message queued."""
    from celery import current_app
    from django.utils import timezone

    from campaigns.models import OutboundMessage
    from campaigns.sending.dispatch import dispatch_tick_once

    make_due(n)
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "postigo",
            "worker",
            "--queues",
            "claim",
            "--concurrency",
            str(WORKERS),
            "--loglevel",
            "WARNING",
            "--hostname",
            f"bench-{os.getpid()}@%h",
        ],
        cwd=HERE,
        env=os.environ,
        stdout=open(Path(folder) / "worker.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not current_app.control.ping(timeout=0.5) and time.monotonic() < deadline:
            time.sleep(0.5)
        started = time.perf_counter()
        ticks, queued, first_tick = 0, 0, None
        while queued < n and time.perf_counter() - started < 120:
            if time.perf_counter() - started >= ticks * TICK_SECONDS:  # beat's schedule
                dispatch_tick_once(timezone.now())
                ticks += 1
            time.sleep(0.05)
            queued = OutboundMessage.objects.filter(state="queued").count()
            if ticks == 1:
                first_tick = queued
        took = time.perf_counter() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        with current_app.connection_for_write() as conn:
            for queue in ("claim", "send"):
                conn.default_channel.queue_purge(queue)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": took,
        "queued": queued,
        "ticks": ticks,
        "first_tick": first_tick,
        "worker_peak_mb": peak,
    }


def child(sizes: list[int], enrollments: int, history: int, reuse: bool) -> None:
    folder = django_in_tempdir()
    from django.db import connection

    from smtp_accounts.models import Mailbox

    figures: dict = {}
    built = reuse and Mailbox.objects.count() == max(sizes)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM campaigns_outboundmessage WHERE state = 'sent'")
        had_history = cursor.fetchone()[0]
    phases = [("without", 0), ("with", history)]
    if built and had_history:
        phases = [("with", history)]  # a kept database keeps its history
    if not built:
        started = time.perf_counter()
        populate(max(sizes), enrollments)
        print(
            f"built {max(sizes):,} mailboxes and {enrollments:,} enrollments "
            f"in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    for label, size in phases:
        if size:
            started = time.perf_counter()
            add_history(size)
            print(
                f"added {size:,} messages of history in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        for n in sizes:
            figures[f"{label}:{n}"] = tick_in_process(n)
            print(label, n, figures[f"{label}:{n}"], file=sys.stderr)
        figures[f"{label}:baseline"] = tick_in_process(min(sizes), per_mailbox=True)
    figures["workers"] = tick_on_workers(max(sizes), str(folder))
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", default="100,10000", help="mailboxes with due work, small,big")
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--keep-db", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.n.split(","))
    if args.child:
        child(sizes, args.enrollments, args.history, reuse=args.child == "reuse")
        return
    import psycopg

    name = "postigo_bench_scale_mailboxes"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not args.keep_db:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not args.keep_db:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
        REDIS_URL=REDIS,
        CELERY_BROKER_URL=REDIS,
    )
    load_before = os.getloadavg()
    try:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "reuse" if exists and args.keep_db else "new",
                "--n",
                args.n,
                "--enrollments",
                str(args.enrollments),
                "--history",
                str(args.history),
            ],
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    finally:
        if not args.keep_db:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    f = json.loads(out.strip().splitlines()[-1])
    report(f, sizes, load_before)


def report(f: dict, sizes: list[int], load_before) -> None:
    small, big = sizes[0], sizes[-1]
    labels = [label for label in ("without", "with") if f"{label}:{small}" in f]
    for label in labels:
        for n in (small, big):
            r = f[f"{label}:{n}"]
            print(
                f"{label} history, N={n:,}: tick {r['seconds']:.2f} s, "
                f"{r['ms_per_mailbox']:.2f} ms and {r['statements']:.2f} statements per mailbox"
            )
        b = f[f"{label}:baseline"]
        print(
            f"{label} history, per-mailbox claims (baseline), N={small:,}: "
            f"{b['ms_per_mailbox']:.2f} ms and {b['statements']:.2f} statements per mailbox"
        )
    w = f["workers"]
    print(
        f"beat ticking every {TICK_SECONDS} s, a worker of {WORKERS} processes, N={big:,}: "
        f"{w['queued']:,} queued in {w['seconds']:.2f} s over {w['ticks']} ticks "
        f"({w['first_tick']:,} within the first); worker peak {w['worker_peak_mb']:.0f} MB"
    )
    print(f"peak memory: measuring process {f['peak_mb']:.0f} MB")
    print(f"load average before: {load_before[0]:.1f}, after: {os.getloadavg()[0]:.1f}")
    ref = labels[0]
    cost_small, cost_big = (
        f[f"{ref}:{small}"]["ms_per_mailbox"],
        f[f"{ref}:{big}"]["ms_per_mailbox"],
    )
    result(
        "scale_mailboxes",
        "statements per mailbox, set-based / per-mailbox claims",
        f[f"{ref}:{big}"]["statements"],
        f[f"{ref}:baseline"]["statements"],
        "printed (fewer is better)",
        True,
    )
    result(
        "scale_mailboxes",
        f"ms per mailbox, N={big} / N={small}",
        cost_big,
        cost_small,
        "ratio <= 1.2",
        cost_big <= 1.2 * cost_small,
    )
    if "with" in labels and "without" in labels:
        with_, without = f[f"with:{big}"]["ms_per_mailbox"], f[f"without:{big}"]["ms_per_mailbox"]
        result(
            "scale_mailboxes",
            f"ms per mailbox at N={big}, with history / without",
            with_,
            without,
            "ratio <= 1.2",
            with_ <= 1.2 * without,
        )
    result(
        "scale_mailboxes",
        f"seconds until {big} mailboxes are claimed, beat ticking, the Procfile worker",
        w["seconds"],
        None,
        "<= 15",
        w["seconds"] <= 15 and w["queued"] == big,
    )
    peak = max(f["peak_mb"], w["worker_peak_mb"])
    result("scale_mailboxes", "peak memory MB (largest process)", peak, None, "< 300", peak < 300)


if __name__ == "__main__":
    main()
