"""The dispatcher's cost does not grow with history (issue 27): the campaign's daily cap is a
counter kept in the claim's transaction, exact under concurrent claims and counted on the
campaign's local day; and a mailbox that may not send now (gap, full cap, paused) is not visited.
Claims are driven directly here (no SMTP: nothing is sent)."""

import datetime
import threading
import time

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import CampaignDay, Enrollment, Lead, OutboundMessage, normalize_email
from campaigns.sending.dispatch import claim_for_mailbox, dispatch_tick, due_mailboxes
from campaigns.sending.launch import campaign_launch
from campaigns.stats import stats_rebuild
from smtp_accounts.models import Mailbox
from tests.campaigns.pipeline import build
from tests.smtp_accounts.factories import make_mailbox

UTC = datetime.UTC
ALL_DAY = {
    "window_start": datetime.time(0),
    "window_end": datetime.time(23, 59, 59),
    "send_days": "0123456",
}


def sender(workspace, email="sender@acme.example", **limits):
    values = {"min_gap_seconds": 0, "gap_jitter_seconds": 0, "warmup_enabled": False}
    values |= {"daily_cap": 1000, "hourly_cap": 1000}
    return make_mailbox(workspace, email=email, smtp_username=email, **(values | limits))


def launched(workspace, mailboxes, *, n, at, **fields):
    with time_machine.travel(at, tick=False):
        campaign = build(workspace, mailboxes[0], n=n, steps=1, **(ALL_DAY | fields))
        campaign.mailboxes.add(*mailboxes[1:])
        campaign_launch(campaign)
    return campaign


def all_due(at):
    Enrollment.objects.filter(status="active", next_due_at__isnull=False).update(next_due_at=at)


def claim(mailbox, at):
    with time_machine.travel(at, tick=False):
        return claim_for_mailbox(mailbox.pk, at)


def first_steps():
    return OutboundMessage.objects.filter(step__position=1).count()


@pytest.mark.django_db(transaction=True)
def test_the_campaign_cap_holds_exactly_with_two_concurrent_claims(workspace_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks across connections; CI runs it on PostgreSQL")
    a, b = sender(workspace_a), sender(workspace_a, "other@acme.example")
    now = timezone.now()
    launched(workspace_a, [a, b], n=20, at=now - datetime.timedelta(hours=1), daily_cap=5)
    all_due(now - datetime.timedelta(minutes=1))
    assert set(Enrollment.objects.values_list("mailbox_id", flat=True)) == {a.pk, b.pk}
    first_claimed = threading.Event()
    claimed = {}

    def first():  # claims, then holds its transaction open while the second one claims
        try:
            with transaction.atomic():
                claimed["a"] = claim_for_mailbox(a.pk, timezone.now())
                first_claimed.set()
                time.sleep(0.5)
        finally:
            first_claimed.set()
            connections.close_all()

    def second():
        first_claimed.wait()
        try:
            claimed["b"] = claim_for_mailbox(b.pk, timezone.now())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(ids) for ids in claimed.values()) == 5
    assert first_steps() == 5
    assert CampaignDay.objects.get().new_leads == 5


@pytest.mark.django_db
def test_the_cap_is_counted_on_the_campaigns_local_day_across_a_change_of_clocks(workspace_a):
    # Berlin moves its clocks forward on 29 March 2026: that day starts at 23:00 UTC on the
    # 28th (CET) and ends at 22:00 UTC on the 29th (CEST).
    mailbox = sender(workspace_a)
    berlin = {"timezone": "Europe/Berlin", "daily_cap": 2}
    launched(
        workspace_a, [mailbox], n=6, at=datetime.datetime(2026, 3, 28, 20, tzinfo=UTC), **berlin
    )
    early = datetime.datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # 00:30 on the 29th in Berlin
    all_due(early)
    assert len(claim(mailbox, early)) == 2
    late = datetime.datetime(2026, 3, 29, 21, 30, tzinfo=UTC)  # 23:30 on the 29th, a new UTC day
    all_due(late)
    assert claim(mailbox, late) == []
    next_day = datetime.datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 00:30 on the 30th
    all_due(next_day)
    assert len(claim(mailbox, next_day)) == 2
    counters = CampaignDay.objects.order_by("day").values_list("day", "new_leads")
    assert list(counters) == [(datetime.date(2026, 3, 29), 2), (datetime.date(2026, 3, 30), 2)]


@pytest.mark.django_db
def test_a_claim_cut_short_by_the_mailbox_spends_only_what_it_queued(workspace_a):
    mailbox = sender(workspace_a, min_gap_seconds=60)  # one send per gap
    at = datetime.datetime(2026, 11, 24, 10, tzinfo=UTC)
    launched(workspace_a, [mailbox], n=3, at=at, daily_cap=3)
    all_due(at)
    assert len(claim(mailbox, at)) == 1
    assert CampaignDay.objects.get().new_leads == 1
    later = at + datetime.timedelta(minutes=2)
    all_due(later)
    assert len(claim(mailbox, later)) == 1
    assert CampaignDay.objects.get().new_leads == 2 == first_steps()


def old_history(campaign, mailbox, n, before):
    """`n` leads who got the campaign's first step on earlier days."""
    step = campaign.steps.get(position=1)
    leads = Lead.objects.bulk_create(
        Lead(
            workspace=campaign.workspace,
            email=f"old{i}@history.example",
            email_normalized=normalize_email(f"old{i}@history.example"),
        )
        for i in range(n)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(campaign=campaign, lead=lead, mailbox=mailbox, status="completed")
        for lead in leads
    )
    OutboundMessage.objects.bulk_create(
        OutboundMessage(
            enrollment=e,
            step=step,
            mailbox=mailbox,
            recipient=e.lead.email,
            state="sent",
            queued_at=before - datetime.timedelta(days=1 + i % 300),
        )
        for i, e in enumerate(enrollments)
    )
    stats_rebuild([campaign.pk])  # the history's counters, as if it had been sent for real


@pytest.mark.django_db
def test_a_claim_costs_the_same_statements_whatever_the_history(workspace_a):
    mailbox = sender(workspace_a)
    at = datetime.datetime(2026, 11, 24, 10, tzinfo=UTC)
    campaign = launched(workspace_a, [mailbox], n=6, at=at, daily_cap=50)
    Enrollment.objects.update(next_due_at=None)
    fresh, later = (list(Enrollment.objects.order_by("pk"))[i : i + 3] for i in (0, 3))

    Enrollment.objects.filter(pk__in=[e.pk for e in fresh]).update(next_due_at=at)
    with CaptureQueriesContext(connection) as without_history:
        assert len(claim(mailbox, at)) == 3

    old_history(campaign, mailbox, 5000, before=at)
    then = at + datetime.timedelta(minutes=5)
    Enrollment.objects.filter(pk__in=[e.pk for e in later]).update(next_due_at=then)
    with CaptureQueriesContext(connection) as with_history:
        assert len(claim(mailbox, then)) == 3

    assert len(with_history) == len(without_history)
    # Nothing counts the campaign's messages: the cap is one counter row.
    counts = [
        q["sql"] for q in with_history.captured_queries if q["sql"].startswith("SELECT COUNT(")
    ]
    assert counts == []
    assert CampaignDay.objects.get(campaign=campaign).new_leads == 6


# Only mailboxes that can send now are visited.


def waiting(workspace, at, n=5, **limits):
    """A mailbox with `n` new leads due at `at`."""
    mailbox = sender(workspace, **limits)
    launched(workspace, [mailbox], n=n, at=at - datetime.timedelta(hours=1), daily_cap=100)
    all_due(at)
    return mailbox


@pytest.mark.django_db
def test_a_mailbox_inside_its_gap_is_not_visited_until_the_gap_ends(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, tzinfo=UTC)
    mailbox = waiting(workspace_a, at, min_gap_seconds=300)
    assert len(claim(mailbox, at)) == 1
    assert due_mailboxes(at + datetime.timedelta(minutes=4)) == []
    assert due_mailboxes(at + datetime.timedelta(minutes=5)) == [mailbox.pk]


@pytest.mark.django_db
def test_a_mailbox_whose_hour_is_full_is_not_visited_until_the_next_hour(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, 20, tzinfo=UTC)
    mailbox = waiting(workspace_a, at, hourly_cap=2)
    assert len(claim(mailbox, at)) == 2
    assert due_mailboxes(at + datetime.timedelta(minutes=39)) == []
    assert due_mailboxes(datetime.datetime(2026, 11, 24, 11, tzinfo=UTC)) == [mailbox.pk]


@pytest.mark.django_db
def test_a_mailbox_whose_day_is_full_waits_for_midnight_in_its_own_time_zone(workspace_a):
    at = datetime.datetime(2026, 11, 24, 15, tzinfo=UTC)  # 10:00 in New York
    mailbox = waiting(workspace_a, at, daily_cap=2, hourly_cap=2, timezone="America/New_York")
    assert len(claim(mailbox, at)) == 2
    assert due_mailboxes(datetime.datetime(2026, 11, 25, 4, 59, tzinfo=UTC)) == []
    assert due_mailboxes(datetime.datetime(2026, 11, 25, 5, 0, tzinfo=UTC)) == [mailbox.pk]


@pytest.mark.django_db
def test_a_paused_mailbox_is_not_visited(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, tzinfo=UTC)
    mailbox = waiting(workspace_a, at)
    Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.PAUSED_BY_USER)
    assert due_mailboxes(at) == []


@pytest.mark.django_db
def test_raising_a_full_cap_makes_the_mailbox_send_again_at_once(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, 20, tzinfo=UTC)
    mailbox = waiting(workspace_a, at, hourly_cap=2)
    claim(mailbox, at)
    assert due_mailboxes(at) == []
    mailbox.refresh_from_db()
    mailbox.hourly_cap = 4
    mailbox.save()
    assert due_mailboxes(at) == [mailbox.pk]
    assert len(claim(mailbox, at)) == 2


@pytest.mark.django_db
def test_a_lowered_cap_found_full_at_a_claim_is_not_visited_again_before_it_frees_up(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, 20, tzinfo=UTC)
    mailbox = waiting(workspace_a, at, hourly_cap=5)
    assert len(claim(mailbox, at)) == 5
    # An edit made elsewhere without save() (an admin bulk update, say): found at the next claim.
    Mailbox.objects.filter(pk=mailbox.pk).update(capped_until=None, hourly_cap=3, daily_cap=3)
    all_due(at)
    assert claim(mailbox, at) == []
    assert due_mailboxes(at) == []


@pytest.mark.django_db
def test_a_tick_spends_nothing_on_a_mailbox_that_cannot_send(workspace_a):
    at = datetime.datetime(2026, 11, 24, 10, 20, tzinfo=UTC)
    mailbox = waiting(workspace_a, at, hourly_cap=2)
    assert len(claim(mailbox, at)) == 2
    assert Enrollment.objects.filter(next_due_at__lte=at).count() == 3  # still due
    with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as tick:
        assert dispatch_tick(at) == 0
    # The two statements of the due-mailbox query, and no claim.
    assert len(tick) == 2, [q["sql"] for q in tick.captured_queries]
