"""Charging with real Celery workers (their own processes) on Redis and PostgreSQL, sending to
a real SMTP server: several dispatchers and workers at once overdraw by at most one recorded
chunk, and killing a worker mid-batch leaves what is sent and what is charged in agreement."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from billing.models import LedgerEntry
from billing.services import balance_audit, balance_charge, balance_credit, balance_of
from campaigns.lifecycle import messages_promote, messages_recover_interrupted
from campaigns.models import Campaign, OutboundMessage
from campaigns.sending.billing_gate import OUT_OF_BALANCE
from campaigns.sending.delivery import _SentBuffer
from campaigns.sending.dispatch import dispatch_tick
from campaigns.sending.launch import campaign_launch
from postigo.celery import app as celery_app
from tests.campaigns.pipeline import build
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
CHUNK = _SentBuffer.SIZE  # messages recorded sent (and charged) in one transaction


def start_worker(recipe) -> subprocess.Popen:
    process = subprocess.Popen(
        recipe["args"],
        cwd=ROOT,
        env=recipe["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the Celery worker did not start")
    return process


@pytest.fixture
def recipe(settings):
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        reason = "needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-worker tests: {reason}")
        pytest.skip(reason)
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["MAILBOX_ALLOW_PRIVATE_NETWORKS"] = "true"
    env["MAILBOX_TLS_CA_FILE"] = settings.MAILBOX_TLS_CA_FILE
    env["BILLING_PRICE_EMAIL"] = "1"
    settings.BILLING_PRICE_EMAIL = 1
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    yield {
        "args": [sys.executable, "-m", "celery", "-A", "postigo", "worker"]
        + ["-Q", "default,send,inbox", "-c", "2", "--without-gossip", "--without-mingle"],
        "env": env,
    }
    connection.close()


def wait_until_sent(timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while OutboundMessage.objects.filter(state__in=["queued", "sending"]).exists():
        if time.monotonic() > deadline:
            pytest.fail("the workers did not send everything they were given")
        time.sleep(0.2)


def set_balance(workspace, amount: int) -> None:
    difference = amount - balance_of(workspace)
    if difference > 0:
        balance_credit(workspace=workspace, amount=difference, reason="test")
    elif difference < 0:
        balance_charge(workspace=workspace, amount=-difference, reason="test")


def tomorrow_nine() -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )


def charged(workspace) -> int:
    entries = LedgerEntry.objects.filter(workspace=workspace, purpose="email")
    return sum(entries.values_list("quantity", flat=True))


def test_several_dispatchers_and_workers_overdraw_at_most_one_chunk(
    workspace_a, smtp_server, recipe
):
    mailboxes = [
        sink_mailbox(
            workspace_a, smtp_server, email=f"s{i}@acme.example", daily_cap=500, hourly_cap=500
        )
        for i in range(4)
    ]
    day0 = tomorrow_nine()
    with time_machine.travel(day0, tick=False):
        campaign = build(workspace_a, mailboxes[0], n=160, steps=1, daily_cap=500)
        campaign.mailboxes.add(*mailboxes[1:])
        campaign_launch(campaign)
    set_balance(workspace_a, 70)
    workers = [start_worker(recipe) for _ in range(2)]
    try:
        moment = day0 + datetime.timedelta(hours=1, minutes=1)

        def dispatcher():
            try:
                for _round in range(20):
                    dispatch_tick()
            finally:
                connections.close_all()

        with time_machine.travel(moment, tick=False):
            threads = [threading.Thread(target=dispatcher) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        wait_until_sent()
        with time_machine.travel(moment + datetime.timedelta(minutes=5), tick=False):
            sum(iter(dispatch_tick, 0))
        wait_until_sent()
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)

    sent = OutboundMessage.objects.filter(state="sent").count()
    assert sent == len({r.rcpt_tos[0] for r in smtp_server.received})
    assert charged(workspace_a) == sent
    assert balance_of(workspace_a) == 70 - sent >= -CHUNK
    assert sent >= 70 - CHUNK  # the balance was used, not stranded
    assert balance_audit() == []
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED and campaign.paused_reason == OUT_OF_BALANCE


def test_killing_a_worker_mid_batch_leaves_sent_and_charged_in_agreement(
    workspace_a, smtp_server, recipe
):
    smtp_server.script.data_delay = 0.05  # a batch of 20 takes about a second
    mailbox = sink_mailbox(workspace_a, smtp_server, daily_cap=500, hourly_cap=500)
    set_balance(workspace_a, 10_000)
    day0 = tomorrow_nine()
    with time_machine.travel(day0, tick=False):
        campaign = build(workspace_a, mailbox, n=80, steps=1, daily_cap=500)
        campaign_launch(campaign)
    process = start_worker(recipe)
    moment = day0 + datetime.timedelta(hours=1, minutes=1)
    for _kill in range(3):
        with time_machine.travel(moment, tick=False):
            messages_recover_interrupted()
            sum(iter(dispatch_tick, 0))
        time.sleep(1.2)  # mid-batch
        process.kill()  # kill -9
        process.wait()
        process = start_worker(recipe)
        moment += datetime.timedelta(minutes=20)
    with time_machine.travel(moment, tick=False):
        messages_recover_interrupted()
        sum(iter(dispatch_tick, 0))
    wait_until_sent()
    with time_machine.travel(moment + datetime.timedelta(minutes=20), tick=False):
        messages_recover_interrupted()
    process.terminate()
    process.wait(timeout=30)

    sent = OutboundMessage.objects.filter(state="sent").count()
    unknown = list(OutboundMessage.objects.filter(state="unknown").select_related("enrollment"))
    assert unknown, "the kills should have interrupted some sends"
    assert charged(workspace_a) == sent  # an interrupted send is not charged...
    with transaction.atomic():
        messages_promote(unknown)  # ...until proof comes back that it went out
    assert charged(workspace_a) == OutboundMessage.objects.filter(state="sent").count()
    assert balance_audit() == []
