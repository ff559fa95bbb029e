"""Set-based claims fanned out by shard (issue 27 items 3 and 4): one claim serves a batch of
mailboxes in a fixed number of statements, two workers claiming at once (overlapping ticks) keep
the campaign's daily cap and every mailbox's cap exact, and beat's tick hands the work out as
one claim task per shard batch on the `claim` queue."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CampaignDay, Enrollment, OutboundMessage
from campaigns.sending.claims import mailboxes_claim
from campaigns.sending.dispatch import dispatch_tick_once, shards
from campaigns.sending.launch import campaign_launch
from smtp_accounts.models import Mailbox
from tests.factories import build, make_mailbox, sink_mailbox

UTC = datetime.UTC
ALL_DAY = {
    "window_start": datetime.time(0),
    "window_end": datetime.time(23, 59, 59),
    "send_days": "0123456",
}
NO_GAP = {"min_gap_seconds": 0, "gap_jitter_seconds": 0, "warmup_enabled": False}
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (row locks across connections, the set-based path); CI runs it",
)


def senders(workspace, n, **limits):
    values = NO_GAP | {"daily_cap": 1000, "hourly_cap": 1000} | limits
    return [
        make_mailbox(workspace, email=f"s{i}@acme.example", smtp_username=f"s{i}", **values)
        for i in range(n)
    ]


def launched(workspace, mailboxes, *, n, at, **fields):
    with time_machine.travel(at, tick=False):
        campaign = build(workspace, mailboxes[0], n=n, steps=1, **(ALL_DAY | fields))
        campaign.mailboxes.add(*mailboxes[1:])
        campaign_launch(campaign=campaign)
    Enrollment.objects.filter(status="active").update(next_due_at=at)
    return campaign


@pytest.mark.django_db
def test_a_tick_keeps_a_workspace_s_mailboxes_in_one_shard(workspace_a, workspace_b, settings):
    settings.DISPATCH_SHARDS, settings.DISPATCH_CLAIM_BATCH = 2, 3
    a = senders(workspace_a, 3)
    b = make_mailbox(workspace_b, email="b@beta.example", smtp_username="b")
    batches = shards([m.pk for m in [*a, b]])
    a_ids = [m.pk for m in a]
    assert sorted(batches) == sorted([a_ids, [b.pk]])  # whether or not the shards are the same


def test_claim_tasks_go_to_the_claim_queue():
    from postigo.celery import app

    route = app.amqp.router.route({}, "campaigns.tasks.claim_mailboxes")
    assert route["queue"].name == "claim"


@pytest.mark.django_db
def test_beat_s_tick_fans_every_due_mailbox_out_and_each_sends(workspace_a, smtp_server, settings):
    settings.DISPATCH_SHARDS, settings.DISPATCH_CLAIM_BATCH = 2, 1
    mailboxes = [
        sink_mailbox(workspace_a, smtp_server, email=f"s{i}@acme.example", **NO_GAP)
        for i in range(3)
    ]
    now = timezone.now()
    launched(workspace_a, mailboxes, n=6, at=now - datetime.timedelta(minutes=1), daily_cap=50)
    assert dispatch_tick_once() == 3  # Celery is eager in tests: each claim task runs now
    sent = OutboundMessage.objects.filter(state="sent")
    assert sent.count() == 6
    assert set(sent.values_list("mailbox_id", flat=True)) == {m.pk for m in mailboxes}


@pytest.mark.django_db
def test_a_claim_for_many_mailboxes_costs_the_statements_of_a_claim_for_two(workspace_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps a query per mailbox (its writers are serialised anyway)")
    mailboxes = senders(workspace_a, 10)
    at = datetime.datetime(2026, 11, 24, 10, tzinfo=UTC)
    launched(workspace_a, mailboxes, n=10, at=at, daily_cap=100)
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as two:
        assert len(mailboxes_claim(mailbox_ids=[m.pk for m in mailboxes[:2]], now=at)) == 2
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as eight:
        assert len(mailboxes_claim(mailbox_ids=[m.pk for m in mailboxes[2:]], now=at)) == 8
    assert len(eight) == len(two), [q["sql"][:80] for q in eight.captured_queries]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_mailbox_held_by_another_claim_is_left_to_it(workspace_a):
    held, free = senders(workspace_a, 2)
    now = timezone.now()
    launched(workspace_a, [held, free], n=4, at=now - datetime.timedelta(minutes=1), daily_cap=50)
    locked, done = threading.Event(), threading.Event()

    def other_claim():
        try:
            with transaction.atomic():
                Mailbox.objects.select_for_update().get(pk=held.pk)
                locked.set()
                done.wait(10)
        finally:
            locked.set()
            connections.close_all()

    thread = threading.Thread(target=other_claim)
    thread.start()
    locked.wait(10)
    try:
        claimed = mailboxes_claim(mailbox_ids=[held.pk, free.pk], now=timezone.now())
    finally:
        done.set()
        thread.join()
    assert list(claimed) == [free.pk]
    assert len(claimed[free.pk]) == 2


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_with_overlapping_ticks_hold_every_cap_exactly(workspace_a):
    mailboxes = senders(workspace_a, 6, hourly_cap=2)
    now = timezone.now()
    campaign = launched(
        workspace_a, mailboxes, n=30, at=now - datetime.timedelta(minutes=1), daily_cap=7
    )
    ids = [m.pk for m in mailboxes]
    orders = {"a": [ids[:3], ids[3:]], "b": [ids[3:], ids[:3]]}  # each its own shard order
    start = threading.Barrier(2)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    errors = []

    def worker(name):
        try:
            start.wait(10)
            for _tick in range(3):
                for batch in orders[name]:
                    got = mailboxes_claim(mailbox_ids=batch, now=timezone.now())
                    claimed[name] += [pk for pks in got.values() for pk in pks]
        except Exception as error:  # reported below: a thread's failure must fail the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(name,)) for name in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(claimed["a"]) + len(claimed["b"]) == 7  # the campaign's daily cap, exactly
    assert not set(claimed["a"]) & set(claimed["b"])
    assert OutboundMessage.objects.count() == 7
    assert CampaignDay.objects.get(campaign=campaign).new_leads == 7
    per_mailbox = dict(OutboundMessage.objects.values_list("mailbox_id").annotate(n=Count("pk")))
    counters = dict(Mailbox.objects.values_list("pk", "sent_this_hour"))
    assert all(n <= 2 for n in per_mailbox.values())  # every mailbox's hourly cap
    assert all(counters[pk] == n for pk, n in per_mailbox.items())  # capacity spent = queued
