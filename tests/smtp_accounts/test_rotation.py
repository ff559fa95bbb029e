import datetime
import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import assign_mailboxes, reserve_send_slot, weight
from tests.factories import make_mailbox

NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def boxes(workspace, *caps, **extra):
    return [
        make_mailbox(
            workspace,
            email=f"m{i}@acme.example",
            daily_cap=cap,
            hourly_cap=min(cap, 30),
            warmup_enabled=False,
            **extra,
        )
        for i, cap in enumerate(caps)
    ]


@pytest.mark.django_db
def test_enrollments_spread_in_proportion_to_capacity(workspace_a):
    mailboxes = boxes(workspace_a, 100, 100, 200)
    assigned = Counter(m.email for m in assign_mailboxes(mailboxes, 1000, today=NOON.date()))
    assert assigned == {"m0@acme.example": 250, "m1@acme.example": 250, "m2@acme.example": 500}


@pytest.mark.django_db
def test_the_spread_is_even_at_every_prefix(workspace_a):
    order = [m.email for m in assign_mailboxes(boxes(workspace_a, 50, 50), 10, today=NOON.date())]
    assert order == ["m0@acme.example", "m1@acme.example"] * 5


@pytest.mark.django_db
def test_paused_and_failing_mailboxes_get_less_or_nothing(workspace_a):
    healthy, failing, paused = boxes(workspace_a, 100, 100, 100)
    failing.consecutive_failures = 3
    paused.status = Mailbox.Status.PAUSED_BY_ERROR
    assert weight(paused, NOON.date()) == 0
    assert 0 < weight(failing, NOON.date()) < weight(healthy, NOON.date())
    assigned = Counter(
        m.pk for m in assign_mailboxes([healthy, failing, paused], 90, today=NOON.date())
    )
    assert paused.pk not in assigned and assigned[healthy.pk] > assigned[failing.pk] > 0


@pytest.mark.django_db
def test_warm_up_limits_the_day(workspace_a):
    [mailbox] = boxes(workspace_a, 200)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        warmup_enabled=True,
        warmup_started_on=NOON.date() - datetime.timedelta(days=2),
        warmup_start=10,
        warmup_increment=5,
        min_gap_seconds=0,
        gap_jitter_seconds=0,
    )
    granted = 0
    with time_machine.travel(NOON, tick=False):
        while reserve_send_slot(mailbox_id=mailbox.pk):
            granted += 1
    assert granted == 20  # day three of 10 + 5/day


@pytest.mark.django_db
def test_the_minimum_gap_spaces_sends(workspace_a):
    [mailbox] = boxes(workspace_a, 100)
    Mailbox.objects.filter(pk=mailbox.pk).update(min_gap_seconds=120, gap_jitter_seconds=0)
    with time_machine.travel(NOON, tick=False):
        assert reserve_send_slot(mailbox_id=mailbox.pk)
        assert not reserve_send_slot(mailbox_id=mailbox.pk)
    with time_machine.travel(NOON + datetime.timedelta(seconds=121), tick=False):
        assert reserve_send_slot(mailbox_id=mailbox.pk)


@pytest.mark.django_db
def test_hourly_and_daily_caps_hold_and_reset(workspace_a):
    [mailbox] = boxes(workspace_a, 40)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        hourly_cap=25, min_gap_seconds=0, gap_jitter_seconds=0, timezone="Europe/Berlin"
    )

    def drain(at):
        with time_machine.travel(at, tick=False):
            n = 0
            while reserve_send_slot(mailbox_id=mailbox.pk):
                n += 1
            return n

    assert drain(NOON) == 25
    assert drain(NOON + datetime.timedelta(hours=1)) == 15  # the day's 40 are used
    assert drain(NOON + datetime.timedelta(hours=2)) == 0
    # Midnight in Berlin is 23:00 UTC: a new day.
    assert drain(datetime.datetime(2026, 11, 23, 23, 5, tzinfo=datetime.UTC)) == 25


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_never_exceed_the_caps(workspace_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks across connections; CI runs it on PostgreSQL")
    [mailbox] = boxes(workspace_a, 50)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        hourly_cap=50, min_gap_seconds=0, gap_jitter_seconds=0
    )
    granted = Counter()
    barrier = threading.Barrier(4)

    def dispatcher(name):
        from django.db import connections

        barrier.wait()
        try:
            for _ in range(40):
                if reserve_send_slot(mailbox_id=mailbox.pk):
                    granted[name] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=dispatcher, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted.values()) == 50
    assert len(granted) > 1  # they really competed
    mailbox.refresh_from_db()
    assert mailbox.sent_on(mailbox.local_date(timezone.now())) == 50


@pytest.mark.django_db
def test_warm_up_starts_the_day_a_mailbox_is_connected(workspace_a):
    with time_machine.travel(NOON, tick=False):
        mailbox = make_mailbox(workspace_a, daily_cap=200, warmup_start=10, warmup_increment=5)
    assert mailbox.warmup_started_on == NOON.date()
    assert mailbox.effective_daily_cap(NOON.date()) == 10
    assert mailbox.effective_daily_cap(NOON.date() + datetime.timedelta(days=38)) == 200
