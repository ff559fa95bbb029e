"""End to end with a real Celery worker (its own process) on Redis and PostgreSQL, sending to a
real SMTP server: 200 leads, 3 steps with an A/B test on step 1, a window and a daily cap.

The test process plays beat: it runs the dispatcher at chosen moments of a controlled clock
(time-machine), so windows and caps are decided on that clock; the worker sends whatever it is
handed. The fake clock runs a day ahead of the real one so that follow-ups the worker schedules
(from its real clock) are due when the test looks for them.
"""

from __future__ import annotations

import datetime
import email
import os
import subprocess
import sys
import time
from collections import Counter
from email import policy
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing import prices
from billing.services import balance_credit
from campaigns.models import Enrollment, OutboundMessage
from campaigns.sending.dispatch import dispatch_tick
from campaigns.sending.launch import campaign_launch
from postigo.celery import app as celery_app
from tests.factories import build

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _services_available() -> str | None:
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (the worker shares the test database)"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs Redis as the Celery broker (REDIS_URL)"
    return None


@pytest.fixture
def worker(settings):
    reason = _services_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the real-worker test: {reason}")
        pytest.skip(reason)
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["MAILBOX_ALLOW_PRIVATE_NETWORKS"] = "true"
    env["MAILBOX_TLS_CA_FILE"] = settings.MAILBOX_TLS_CA_FILE
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    recipe = {
        "args": [sys.executable, "-m", "celery", "-A", "postigo", "worker"]
        + ["-Q", "default,send,inbox", "-c", "2", "--without-gossip", "--without-mingle"],
        "env": env,
    }
    process = start_worker(recipe)
    process.recipe = recipe
    yield process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    connection.close()  # the worker held connections to the test database


def wait_until_sent(timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while OutboundMessage.objects.filter(state__in=["queued", "sending"]).exists():
        if time.monotonic() > deadline:
            pytest.fail("the worker did not send everything it was given")
        time.sleep(0.2)


def tick_until_idle(moment: datetime.datetime) -> int:
    total = 0
    with time_machine.travel(moment, tick=False):
        while claimed := dispatch_tick():
            total += claimed
    wait_until_sent()
    return total


def test_two_hundred_leads_three_steps_exactly_once(workspace_a, smtp_server, mailbox, worker):
    mailbox.daily_cap = mailbox.hourly_cap = 150
    mailbox.save()
    # 600 emails: more than the starter credit pays for (the balance gate is tested on its own).
    balance_credit(workspace=workspace_a, amount=600 * prices.price_email(), reason="top-up")
    day0 = (timezone.now() + datetime.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with time_machine.travel(day0, tick=False):
        campaign = build(
            workspace_a,
            mailbox,
            n=200,
            steps=3,
            window_start=datetime.time(8),
            window_end=datetime.time(18),
            daily_cap=200,  # new leads a day: the mailbox's cap is the one tested here
        )
        assert campaign_launch(campaign=campaign) == 200

    sent_per_day = [tick_until_idle(day0 + datetime.timedelta(hours=1, minutes=1))]
    # Outside the window nothing is claimed, whatever is due.
    with time_machine.travel(day0 + datetime.timedelta(hours=12), tick=False):
        assert dispatch_tick() == 0
    for day in range(1, 6):
        sent_per_day.append(tick_until_idle(day0 + datetime.timedelta(days=day, hours=2)))
    assert sum(sent_per_day) == 600
    assert max(sent_per_day) == 150, sent_per_day  # the mailbox's daily cap, reached and kept

    # Every lead got steps 1, 2, 3 exactly once, in order, each reply in the thread.
    assert Counter(OutboundMessage.objects.values_list("state", flat=True)) == {"sent": 600}
    received: dict[str, list] = {}
    for item in smtp_server.received:
        received.setdefault(item.rcpt_tos[0], []).append(
            email.message_from_bytes(item.data, policy=policy.default)
        )
    assert len(received) == 200
    for recipient, messages in received.items():
        assert len(messages) == 3, recipient
        first, second, third = messages
        assert first["In-Reply-To"] is None
        assert second["In-Reply-To"] == first["Message-ID"]
        assert third["In-Reply-To"] == second["Message-ID"]
        assert third["References"] == f"{first['Message-ID']} {second['Message-ID']}"
        assert second["Subject"] == third["Subject"] == "Re: " + first["Subject"]
        assert first["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    labels = Counter(
        OutboundMessage.objects.filter(step__position=1).values_list("variant__label", flat=True)
    )
    assert set(labels) == {"A", "B"} and min(labels.values()) > 60  # weights 1:1
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"completed"}
    # Every send was queued (by the dispatcher, on the controlled clock) inside the window.
    assert all(8 <= m.queued_at.hour < 18 for m in OutboundMessage.objects.only("queued_at"))


def start_worker(env_worker) -> subprocess.Popen:
    process = subprocess.Popen(
        env_worker["args"],
        cwd=ROOT,
        env=env_worker["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not celery_app.control.ping(timeout=0.5):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the Celery worker did not start")
    return process


def test_killing_the_worker_mid_batch_never_sends_twice(workspace_a, smtp_server, mailbox, worker):
    from campaigns.lifecycle import messages_recover_interrupted

    smtp_server.script.data_delay = 0.05  # a batch of 20 takes about a second
    mailbox.daily_cap = mailbox.hourly_cap = 500
    mailbox.save()
    day0 = (timezone.now() + datetime.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with time_machine.travel(day0, tick=False):
        campaign = build(workspace_a, mailbox, n=120, steps=1, daily_cap=500)
        campaign_launch(campaign=campaign)
    recipe, process = worker.recipe, worker
    moment = day0 + datetime.timedelta(hours=1, minutes=1)
    for _kill in range(4):
        with time_machine.travel(moment, tick=False):
            messages_recover_interrupted()  # the previous worker died: `sending` is unknown
            sum(iter(dispatch_tick, 0))  # tick until nothing more is due
        time.sleep(1.2)  # mid-batch
        process.kill()  # kill -9
        process.wait()
        process = start_worker(recipe)
        moment += datetime.timedelta(minutes=20)
    with time_machine.travel(moment, tick=False):
        messages_recover_interrupted()
        sum(iter(dispatch_tick, 0))  # tick until nothing more is due
    wait_until_sent(timeout=180)
    with time_machine.travel(moment + datetime.timedelta(minutes=20), tick=False):
        messages_recover_interrupted()
    process.terminate()
    process.wait(timeout=30)

    deliveries = Counter(item.rcpt_tos[0] for item in smtp_server.received)
    assert max(deliveries.values()) == 1  # never twice
    states = Counter(OutboundMessage.objects.values_list("state", flat=True))
    assert set(states) <= {"sent", "unknown"} and states["unknown"] >= 1, states
    sent = set(OutboundMessage.objects.filter(state="sent").values_list("recipient", flat=True))
    assert sent <= set(deliveries)  # "sent" is only ever said of delivered mail
    assert len(deliveries) >= states["sent"]
    assert sum(states.values()) + Enrollment.objects.filter(status="active").count() == 120


def test_a_suspended_workspace_sends_nothing_through_the_worker(
    workspace_a, alice, smtp_server, mailbox, worker
):
    from ai.review import workspace_suspend
    from campaigns.models import Campaign
    from campaigns.sending.dispatch import messages_claim
    from campaigns.tasks import send_mailbox_batch
    from tests.conftest import make_user

    operator = make_user("ops@example.com", is_staff=True)
    day0 = (timezone.now() + datetime.timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with time_machine.travel(day0, tick=False):
        campaign = build(workspace_a, mailbox, n=20, steps=1)
        campaign_launch(campaign=campaign)
    moment = day0 + datetime.timedelta(hours=1, minutes=1)
    # Claimed while the workspace could send; suspended before the worker gets the batch.
    claimed = messages_claim(mailbox_id=mailbox.pk, now=moment)
    assert len(claimed) == 20
    workspace_suspend(workspace=workspace_a, operator=operator, reason="Phishing reports.")
    send_mailbox_batch.delay(mailbox.pk, claimed)
    wait_until_sent()  # the worker turns every message back: none stays queued or sending
    # Even a campaign set running again is not claimed for a suspended workspace.
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    with time_machine.travel(moment + datetime.timedelta(hours=1), tick=False):
        assert dispatch_tick() == 0
    time.sleep(1)
    assert smtp_server.received == []
    assert not OutboundMessage.objects.exists()
