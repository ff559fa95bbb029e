"""Pipeline throughput: dispatch → render → send → state updates, to a local aiosmtpd sink.

Ours: a launched campaign (1 step, --n leads, one mailbox with no gap) driven by the dispatcher,
so every message goes through claim, rendering (spintax, merge fields, tracking pixel,
unsubscribe headers), SMTP over one STARTTLS session, and its state changes — and billing: each
claim admitted against the prepaid balance, each recorded chunk charged in its transaction. The
same inline run with charging off (price 0) is measured in each round: target within 5%.
Measured two ways: inline (the send tasks run eagerly in this process, after each claim:
everything in series) and as deployed (this process plays beat and the dispatcher; a real Celery
worker in its own process, `--pool solo`, sends — one SMTP session at a time, like the baseline;
needs Redis on 127.0.0.1 for the broker, else it is skipped). Baselines in the same run, same
sink: (a) a bare smtplib loop sending pre-built messages of the same shape and size as ours
(multipart HTML + text, quoted-printable, the same headers) over one reused connection; (b)
django-post-office's `send_queued` on the same messages (queued beforehand, not timed). Targets:
ratio >= 0.6 of (a); (b)'s throughput ratio is printed and, with --cpu, our CPU a message must
not exceed post-office's (DESIGN §9 ruling: post-office wins wall time only through concurrent
SMTP sessions). Each of --rounds rounds runs them all back to back; the
median round by ratio is reported. --mailboxes N spreads the deployed campaign over N mailboxes
and --concurrency N runs the worker prefork with N processes, as `Procfile` deploys it (post-
office sends over 5 threads, each its own SMTP session); --cpu prints, for each way, the CPU the
whole machine was busy in its timed window per message (/proc/stat: the sink and workers
included).
--content-filter off|on|compare turns the send-time check of merge values off or on in the
inline runs through its real setting (`AI_CONTENT_CHECK_AT_SEND`); compare adds to each round an
inline run with it off, in alternating order, and reports this process's CPU a message on vs
off (target: the check costs at most 5%). Half the leads have a company name of several words
(which the template shows), a third a website: what the check reads.
Usage: .venv/bin/python bench/pipeline.py [--n 1000] [--rounds 3] [--timers] [--cpu]
       [--mailboxes 1] [--concurrency 0] [--content-filter on]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

# The project root instead of this folder: bench/dkim.py would shadow the dkim package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import Window, django_in_tempdir, result  # noqa: E402
from bench.sender import Sink, bare_smtplib  # noqa: E402

LINE = "<p>A short cold email line of realistic length, about seventy characters.</p>"


def launched(server, n: int, name: str, mailboxes: int = 1):
    """A launched campaign of n leads rotating over `mailboxes` mailboxes with no gap; returns
    (the mailboxes, due at): at `due at` every lead is due."""
    import time_machine
    from django.conf import settings

    from accounts.models import Workspace
    from billing.services import balance_credit
    from campaigns.authoring.services import campaign_create, variant_save
    from campaigns.models import Lead, LeadList, LeadMembership
    from campaigns.sending.launch import campaign_launch
    from smtp_accounts.models import Mailbox

    workspace = Workspace.objects.create(name=name)
    # Prepaid: enough balance for every message at the price in effect (billing/).
    balance_credit(workspace=workspace, amount=2 * n * max(1, settings.BILLING_PRICE_EMAIL),
                   reason="bench")  # fmt: skip
    senders = [
        Mailbox.objects.create(
            workspace=workspace,
            email=f"sender{k}@{name}.example",
            from_name="Alice",
            smtp_host="localhost",
            smtp_port=server.port,
            smtp_security="starttls",
            smtp_username=server.username,
            smtp_password=server.password,
            daily_cap=n * 2,
            hourly_cap=n * 2,
            min_gap_seconds=0,
            gap_jitter_seconds=0,
            warmup_enabled=False,
        )
        for k in range(mailboxes)
    ]
    lead_list = LeadList.objects.create(workspace=workspace, name="bench")
    leads = Lead.objects.bulk_create(
        Lead(
            workspace=workspace,
            email=f"lead{i}@{name}.example.com",
            email_normalized=f"lead{i}@{name}.example.com",
            first_name=f"Name{i}",
            last_name="Example",
            # What a CSV brings: half the companies named in several words, a third with a
            # website; such values are what the send-time content check reads.
            company=f"Northwind Data Systems {name} {i}" if i % 2 else f"Company {i}",
            website=f"https://www.northwind{i}.{name}.example.com/about" if i % 3 == 0 else "",
            title="Head of Sales Operations",
        )
        for i in range(n)
    )
    LeadMembership.objects.bulk_create(
        LeadMembership(lead=lead, lead_list=lead_list) for lead in leads
    )
    campaign = campaign_create(workspace=workspace, name="bench")
    campaign.send_days, campaign.daily_cap = "0123456", n
    campaign.window_start, campaign.window_end = datetime.time(0), datetime.time(23, 59)
    campaign.save()
    campaign.lead_lists.add(lead_list)
    campaign.mailboxes.add(*senders)
    variant_save(
        variant=campaign.steps.get().variants.get(),
        subject="{Quick|Short} question, {{first_name}}",
        body_html="<p>{Hi|Hello} {{first_name}}, a note for {{company|your team}}.</p>" + LINE * 20,
        weight=1,
    )
    now = datetime.datetime.now(datetime.UTC).replace(hour=10, minute=0)
    with time_machine.travel(now, tick=False):
        campaign_launch(campaign=campaign)
    return senders, now + datetime.timedelta(hours=1, minutes=1)


def ours(
    server,
    n: int,
    *,
    name: str = "bench",
    cpu: list | None = None,
    charging: bool = True,
    own_cpu: list | None = None,
    content_check: bool = True,
) -> float:
    """Inline: the dispatcher and the send tasks in this one process, one after the other. The
    machine's busy CPU ms a message in the timed window goes into `cpu`, if given. With
    `charging`, each email costs 1 minor unit (admitted against the balance, charged as it is
    recorded sent); without, emails are free (price 0: no balance check, no ledger entry).
    Without `content_check`, the send-time check of merge values is off (its real setting)."""
    import time_machine
    from django.conf import settings

    from billing.models import LedgerEntry
    from campaigns.models import OutboundMessage
    from campaigns.sending.dispatch import dispatch_tick
    from postigo.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    settings.BILLING_PRICE_EMAIL = 1 if charging else 0
    settings.AI_CONTENT_CHECK_AT_SEND = content_check
    senders, due = launched(server, n, name)
    started = time.process_time()
    with time_machine.travel(due), Window() as window:
        sum(iter(dispatch_tick, 0))  # tick until nothing more is due
    if own_cpu is not None:  # this process's CPU ms a message: what the other helpers' load
        own_cpu.append((time.process_time() - started) * 1000 / n)  # changes least
    sent = OutboundMessage.objects.filter(state="sent", mailbox__in=senders).count()
    assert sent == n, sent
    workspace = senders[0].workspace
    charged = LedgerEntry.objects.filter(workspace=workspace, purpose="email")
    assert sum(charged.values_list("quantity", flat=True)) == (n if charging else 0)
    settings.BILLING_PRICE_EMAIL = 1
    settings.AI_CONTENT_CHECK_AT_SEND = True
    return _rate(n, window, cpu)


def _rate(n: int, window: Window, cpu: list | None) -> float:
    if cpu is not None:
        cpu.append(window.busy * 1000 / n)
    return n / window.seconds


class Worker:
    """A real Celery worker in its own process, as deployed, one task at a time (`--pool solo`:
    one SMTP session at a time, like the baseline), on the same database and Redis broker."""

    def __init__(self, server, folder: Path, concurrency: int = 0):
        import os
        import subprocess

        from django.conf import settings

        from postigo.celery import app as celery_app

        secrets = json.loads((folder / "dev-secrets.json").read_text())
        env = dict(os.environ)
        env.update(
            DATABASE_URL=os.environ["DATABASE_URL"],  # the bench's own database
            POSTIGO_VAR_DIR=str(folder),
            DEBUG="false",  # production mode: no query log; this run's keys
            SECRET_KEY=secrets["SECRET_KEY"],
            POSTIGO_ENCRYPTION_KEYS=secrets["POSTIGO_ENCRYPTION_KEYS"],
            ALLOWED_HOSTS="localhost",
            PUBLIC_BASE_URL="http://localhost:8000",  # production mode requires it
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            MAILBOX_ALLOW_PRIVATE_NETWORKS="true",
            MAILBOX_TLS_CA_FILE=str(server.cert),
        )
        celery_app.conf.task_always_eager = False
        celery_app.control.purge()
        pool = ["--concurrency", str(concurrency)] if concurrency else ["--pool", "solo"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "postigo", "worker", "-Q", "send",
             *pool, "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                sys.exit("the Celery worker did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def deployed(server, n: int, *, name: str, mailboxes: int = 1, cpu: list | None = None) -> float:
    """As deployed: this process plays beat and the dispatcher; the worker sends (above). Timed
    from the first tick until the worker has recorded the last message sent."""
    import time_machine

    from campaigns.models import OutboundMessage
    from campaigns.sending.dispatch import dispatch_tick

    senders, due = launched(server, n, name, mailboxes)
    sent = OutboundMessage.objects.filter(state="sent", mailbox__in=senders)
    deadline = time.monotonic() + 300
    with time_machine.travel(due), Window() as window:
        sum(iter(dispatch_tick, 0))
        while sent.count() < n:
            if time.monotonic() > deadline:
                sys.exit(f"the worker sent {sent.count()} of {n} in 5 minutes")
            # Not more often: each count is a query on the database the worker writes to, and
            # this process shares the 2 cores with the worker, its helper and the sink.
            time.sleep(0.01)
    return _rate(n, window, cpu)


def prebuilt(n: int):
    """The baseline's messages: the same MIME shape and size our pipeline sends (HTML and text
    parts, quoted-printable, List-Unsubscribe headers), built before the clock starts."""
    from django.utils.html import strip_tags

    from campaigns.authoring.rendering import build_mime
    from smtp_accounts.models import Mailbox
    from smtp_accounts.sender import OutgoingMessage

    mailbox = Mailbox(email="sender@acme.example", from_name="Alice")
    html = "<p>Hi Name, a note for Northwind Data Systems.</p>" + LINE * 20
    messages = []
    for i in range(n):
        unsubscribe = f"https://app.example/u/{'x' * 60}{i}/"
        raw = build_mime(
            mailbox=mailbox,
            to=f"lead{i}@example.com",
            subject=f"Quick question, Name{i}",
            html=html + f'<img src="https://app.example/t/o/{"y" * 60}{i}.gif" width="1">',
            text=strip_tags(html.replace("</p>", "</p>\n")),
            message_id=f"<bench{i}@acme.example>",
            extra={
                "List-Unsubscribe": f"<{unsubscribe}>, <mailto:sender@acme.example>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        messages.append(OutgoingMessage(f"lead{i}@example.com", raw, f"<bench{i}@acme.example>"))
    return messages


def post_office(server, messages, cpu: list | None = None) -> float:
    from django.conf import settings
    from post_office import mail
    from post_office.models import Email

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "localhost", server.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = server.username, server.password
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
    settings.POST_OFFICE = {"BACKENDS": {"default": settings.EMAIL_BACKEND}, "BATCH_SIZE": 5000}
    import ssl

    ssl._create_default_https_context = ssl.create_default_context
    import os

    os.environ["SSL_CERT_FILE"] = str(server.cert)
    for m in messages:
        mail.send(
            [m.recipient],
            "sender@acme.example",
            subject="Quick question",
            message="A short cold email line of realistic length, about seventy characters.\n" * 20,
            html_message="<p>Hi Name,</p>" + LINE * 20,
            priority="medium",
        )
    with Window() as window:
        mail.send_queued(processes=1)
    sent = Email.objects.filter(status=0).count()
    assert sent == len(messages), (sent, Email.objects.values_list("status", flat=True)[:5])
    Email.objects.all().delete()  # the next round starts from an empty queue
    return _rate(len(messages), window, cpu)


def stage_timers(server, n: int) -> None:
    """One more inline round with wall-clock timers around the worker's stages (--timers),
    printed in ms a message: where the time goes. SMTP runs in the helper process meanwhile;
    "waiting" is the worker waiting for the helper's last answers of each batch."""
    import contextlib
    from collections import Counter
    from unittest import mock

    from campaigns.sending import delivery, dispatch
    from smtp_accounts import background

    spent: Counter = Counter()

    def timed(owner, name: str, label: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - started

        return mock.patch.object(owner, name, wrapper)

    finish = background.BackgroundSender.finish

    def waiting(self):
        started = time.perf_counter()
        yield from finish(self)
        spent["waiting for the SMTP helper"] += time.perf_counter() - started

    stages = [
        (dispatch, "messages_claim", "dispatcher claim"),
        (delivery, "_attach_authoring", "batch load"),
        (delivery, "_claimed_and_rendered", "claim, check, render, store"),
        (delivery._SentBuffer, "flush", "record sent"),
        (delivery, "mailbox_batch_done", "batch tail"),
    ]
    with contextlib.ExitStack() as patches:
        for owner, name, label in stages:
            patches.enter_context(timed(owner, name, label))
        patches.enter_context(mock.patch.object(background.BackgroundSender, "finish", waiting))
        rate = ours(server, n, name="timers")
    print(f"stage timers ({rate:.0f} msg/s inline), ms a message:")
    for label, seconds in spent.most_common():
        print(f"  {label:32} {seconds * 1000 / n:6.3f}")


# Its own Redis database; BENCH_BROKER_URL moves it (helpers sharing one Redis each take one).
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")


def _content_check_run(server, n: int, name: str, check: bool) -> tuple[float, float]:
    """One inline run with the send-time content check on or off: (msg/s, own CPU ms a msg)."""
    own: list[float] = []
    rate = ours(server, n, name=name, own_cpu=own, content_check=check)
    return rate, own[0]


def _content_check_report(on: list[tuple[float, float]], off: list[tuple[float, float]]) -> None:
    """The check's cost: this process's CPU a message with it on vs off, round by round (what
    other processes' load changes least), the median round by ratio; target at most 5%."""
    print(
        "send-time content check on vs off, per round: "
        + ", ".join(
            f"{a:.0f} vs {b:.0f} msg/s, CPU {ca:.3f} vs {cb:.3f} ms"
            for (a, ca), (b, cb) in zip(on, off, strict=True)
        )
    )
    pairs = sorted(zip(on, off, strict=True), key=lambda p: p[0][1] / p[1][1])
    (rate_on, cpu_on), (rate_off, cpu_off) = pairs[len(pairs) // 2]
    result("pipeline_content_check_cpu", "cpu_ms_per_message", cpu_on, cpu_off,
           "ratio <= 1.05", cpu_on / cpu_off <= 1.05)  # fmt: skip


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(BROKER, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> None:
    import os

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timers", action="store_true", help="print where the time goes")
    parser.add_argument("--mailboxes", type=int, default=1, help="deployed: mailboxes rotated")
    parser.add_argument("--concurrency", type=int, default=0, help="deployed: worker processes")
    parser.add_argument(
        "--cpu", action="store_true", help="print the machine's busy CPU ms a message, each way"
    )
    parser.add_argument(
        "--content-filter",
        choices=("on", "off", "compare"),
        default="on",
        help="the send-time check of merge values in the inline runs (AI_CONTENT_CHECK_AT_SEND); "
        "compare: each round adds an inline run with it off, in alternating order",
    )
    args = parser.parse_args()
    with_worker = _redis_up()
    if with_worker:
        os.environ["CELERY_BROKER_URL"] = BROKER
    else:
        print("no Redis on 127.0.0.1:6379: the deployed measurement (real worker) is skipped")
    folder = django_in_tempdir(extra_apps=("post_office",))
    from django.conf import settings

    settings.DEBUG = False  # no query log
    server = Sink()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    rounds, worker = [], None
    cpu_rounds: list[dict[str, list]] = []  # per round: the machine's busy CPU ms a message
    own_on: list[float] = []  # the bench process's CPU ms a message, charging on / off
    own_off: list[float] = []
    checked = args.content_filter != "off"
    filter_on: list[tuple[float, float]] = []  # (msg/s, this process's CPU ms a message)
    filter_off: list[tuple[float, float]] = []
    try:
        messages = prebuilt(args.n)
        ours(server, 10, name="warmup")  # a worker that has started: modules imported
        if with_worker:
            worker = Worker(server, folder, args.concurrency)
            deployed(server, 10, name="warmup2")
        for i in range(args.rounds):
            cpu: dict[str, list] = {"inline": [], "deployed": [], "bare": [], "post-office": []}
            cpu_rounds.append(cpu)
            with Window() as window:  # the bare loop's connection set-up is in it: ~1%
                bare = bare_smtplib(server, messages)
            cpu["bare"].append(window.busy * 1000 / len(messages))
            if args.content_filter == "compare" and i % 2:  # off first in odd rounds
                filter_off.append(_content_check_run(server, args.n, f"nocheck{i}", False))
            mine = ours(server, args.n, name=f"round{i}", cpu=cpu["inline"], own_cpu=own_on,
                        content_check=checked)  # fmt: skip
            free = ours(server, args.n, name=f"free{i}", charging=False, own_cpu=own_off,
                        content_check=checked)  # fmt: skip
            if args.content_filter == "compare":
                filter_on.append((mine, own_on[-1]))
                if not i % 2:
                    filter_off.append(_content_check_run(server, args.n, f"nocheck{i}", False))
            as_deployed = (
                deployed(
                    server,
                    args.n,
                    name=f"deployed{i}",
                    mailboxes=args.mailboxes,
                    cpu=cpu["deployed"],
                )
                if worker
                else None
            )
            po = post_office(server, messages, cpu=cpu["post-office"])
            rounds.append((mine, as_deployed, bare, po, free))
            print(
                f"round {i + 1}: inline {mine:.0f}/s (charging off {free:.0f}/s), "
                + (f"deployed {as_deployed:.0f}/s, " if as_deployed else "")
                + f"bare smtplib {bare:.0f}/s, post-office {po:.0f}/s"
            )
            if args.cpu:
                print(
                    "  machine busy, CPU ms a message: "
                    + ", ".join(f"{way} {ms[0]:.2f}" for way, ms in cpu.items() if ms)
                )
        if args.timers:
            stage_timers(server, args.n)
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
    # The median round by ratio: the machine is noisy, one lucky round should not decide.
    row = sorted(rounds, key=lambda r: r[0] / r[4])[len(rounds) // 2]
    print(f"charging on {row[0]:.0f}/s vs off {row[4]:.0f}/s in the same round")
    print(
        "this process's CPU ms a message, charging on vs off, per round: "
        + ", ".join(f"{a:.2f} vs {b:.2f}" for a, b in zip(own_on, own_off, strict=True))
    )
    result("pipeline_charging_on_vs_off", "messages_per_second", row[0], row[4],
           "ratio >= 0.95", row[0] / row[4] >= 0.95)  # fmt: skip
    if filter_on:
        _content_check_report(filter_on, filter_off)
    runs = [("pipeline", 0)] + ([("pipeline_deployed", 1)] if with_worker else [])
    for name, at in runs:
        row = sorted(rounds, key=lambda r: r[at] / r[2])[len(rounds) // 2]
        result(f"{name}_vs_smtplib", "messages_per_second", row[at], row[2],
               "ratio >= 0.6", row[at] / row[2] >= 0.6)  # fmt: skip
        # DESIGN §9 ruling: post-office wins wall time only through its concurrent SMTP
        # sessions; its throughput ratio is printed, and CPU a message (below) is judged.
        row = sorted(rounds, key=lambda r: r[at] / r[3])[len(rounds) // 2]
        result(f"{name}_vs_post_office", "messages_per_second", row[at], row[3],
               "printed (DESIGN §9: judged by CPU a message)", True)  # fmt: skip
    if args.cpu:
        ours_cpu = statistics.median(r["inline"][0] for r in cpu_rounds)
        theirs = statistics.median(r["post-office"][0] for r in cpu_rounds)
        result("pipeline_cpu_vs_post_office", "cpu_ms_per_message", ours_cpu, theirs,
               "ratio <= 1.0", ours_cpu <= theirs)  # fmt: skip


if __name__ == "__main__":
    main()
