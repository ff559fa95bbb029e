"""A campaign whose mail bounces too much pauses itself and says why."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from campaigns.inbox.receive import receive_batch
from campaigns.models import Campaign, Enrollment, OutboundMessage
from campaigns.sending.bounce_guard import MIN_ATTEMPTS, pause_on_bounces
from campaigns.sending.launch import campaign_launch
from tests.campaigns.inbound_mail import postfix_bounce
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db
AN_HOUR_ON = START + datetime.timedelta(hours=1, minutes=1)  # every first step is due


def launched(workspace, mailbox, n, **fields):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=1, **({"daily_cap": 1000} | fields))
        campaign_launch(campaign)
    return campaign


def tried(campaign) -> int:
    return OutboundMessage.objects.filter(
        enrollment__campaign=campaign, state__in=("sent", "failed")
    ).count()


def test_refused_during_smtp_past_the_limit_pauses_and_tells_the_workspace(
    client, alice, workspace_a, mailbox, smtp_server, django_capture_on_commit_callbacks
):
    smtp_server.script.rcpt = {f"lead{i}@x.example": "550 5.1.1 No such user" for i in range(20)}
    campaign = launched(workspace_a, mailbox, 150)
    with django_capture_on_commit_callbacks(execute=True):
        run_until(AN_HOUR_ON)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    # Checked as outcomes are stored: it stopped soon after the sample was reached, and the
    # rest of the batch was given back, not sent.
    assert MIN_ATTEMPTS <= tried(campaign) < 150
    assert Enrollment.objects.filter(campaign=campaign, status="active").exists()
    assert "emails it sent bounced" in campaign.paused_reason
    assert "over the limit of 5%" in campaign.paused_reason
    note = Notification.objects.get(user=alice)
    assert note.level == "error" and "too many bounces" in note.title
    assert note.url == reverse("campaign_report", args=[campaign.pk])
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert campaign.paused_reason in mail.outbox[0].body

    client.force_login(alice)
    report = client.get(reverse("campaign_report", args=[campaign.pk])).content.decode()
    assert "Paused by Postigo" in report and campaign.paused_reason in report
    listing = client.get(reverse("campaign_list")).content.decode()
    assert f'title="{campaign.paused_reason}" data-paused-by-postigo' in listing

    # Resumed after the list was cleaned: the count starts again, and the rest goes out.
    smtp_server.script.rcpt = {}
    client.post(reverse("campaign_control", args=[campaign.pk]), {"action": "resume"})
    campaign.refresh_from_db()
    assert (campaign.status, campaign.paused_reason) == ("running", "")
    run_until(AN_HOUR_ON + datetime.timedelta(hours=2))
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING
    assert tried(campaign) == 150


def test_a_small_sample_a_low_rate_or_no_limit_never_pauses(workspace_a, mailbox, smtp_server):
    smtp_server.script.rcpt = {f"lead{i}@x.example": "550 5.1.1 No such user" for i in range(10)}
    few = launched(workspace_a, mailbox, 40)  # 25% bounce, but only 40 tried
    run_until(AN_HOUR_ON)
    few.refresh_from_db()
    assert few.status == Campaign.Status.RUNNING and tried(few) == 40

    smtp_server.script.rcpt = {f"ok{i}@x.example": "550 5.1.1 No such user" for i in range(2)}
    fine = launched(workspace_a, mailbox, 60, prefix="ok")  # at most 2 of 50: under 5%
    unlimited = launched(workspace_a, mailbox, 60, prefix="all", bounce_limit=0)
    smtp_server.script.rcpt |= {f"all{i}@x.example": "550 5.1.1 No such user" for i in range(60)}
    run_until(AN_HOUR_ON + datetime.timedelta(hours=1))
    for campaign in (fine, unlimited):
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.RUNNING and tried(campaign) == 60
    assert pause_on_bounces([fine.pk, unlimited.pk]) == []


def test_bounce_reports_read_from_the_inbox_count_too(workspace_a, mailbox, smtp_server):
    campaign = launched(workspace_a, mailbox, 60)
    run_until(AN_HOUR_ON)
    sent = list(OutboundMessage.objects.filter(state="sent").order_by("pk"))
    assert len(sent) == 60
    receive_batch(mailbox, [(postfix_bounce(m), AN_HOUR_ON) for m in sent[:3]])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING  # 3 of 60: 5%
    receive_batch(mailbox, [(postfix_bounce(sent[3]), AN_HOUR_ON)])
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    assert campaign.paused_reason.startswith("4 of the 60 emails it sent bounced (6.7%)")


def guard_reads(queries) -> int:
    """How many times the guard summed a campaign's counters."""
    return sum('SUM(("campaigns_campaignstat"' in q["sql"] for q in queries)


def test_sends_stop_asking_the_guard_once_they_can_no_longer_pause(
    workspace_a, mailbox, smtp_server
):
    """A send only lowers a bounce rate: past MIN_ATTEMPTS since (re)start and under the limit,
    only a new bounce can pause the campaign, and recording one checks by itself. So the sent
    path stops reading the counters then, instead of after every group of 25 it records."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = launched(workspace_a, mailbox, 150)
    with CaptureQueriesContext(connection) as queries:
        run_until(AN_HOUR_ON)
    assert tried(campaign) == 150
    # Groups of 25: the first (25 tried) and the second (50: settled), not the four after.
    assert guard_reads(queries.captured_queries) == 2

    late = launched(workspace_a, mailbox, 60, prefix="late")  # a bounce after the sample …
    run_until(AN_HOUR_ON + datetime.timedelta(hours=1))
    sent = list(OutboundMessage.objects.filter(enrollment__campaign=late).order_by("pk"))
    receive_batch(mailbox, [(postfix_bounce(m), AN_HOUR_ON) for m in sent[:4]])
    late.refresh_from_db()
    assert late.status == Campaign.Status.PAUSED  # … still pauses: 4 of 60


def test_settled_means_sends_cannot_change_the_verdict(workspace_a, mailbox, smtp_server):
    smtp_server.script.rcpt = {f"few{i}@x.example": "550 5.1.1 No such user" for i in range(5)}
    few = launched(workspace_a, mailbox, 40, prefix="few")  # 5 of 40: too few tried to judge
    fine = launched(workspace_a, mailbox, 60, prefix="fine")
    unlimited = launched(workspace_a, mailbox, 10, prefix="free", bounce_limit=0)
    run_until(AN_HOUR_ON)
    settled: set[int] = set()
    assert pause_on_bounces([few.pk, fine.pk, unlimited.pk], settled=settled) == []
    # `few` is not: ten more good sends make 5 of 50, over 5%.
    assert settled == {fine.pk, unlimited.pk}


def test_a_copy_counts_its_own_bounces_from_its_launch(workspace_a, mailbox, smtp_server):
    """A copy takes the original's settings, not the state of its run: neither the counts the
    limit started from at its last resume nor why Postigo paused it."""
    from campaigns.authoring.services import campaign_duplicate
    from campaigns.sending.launch import campaign_pause, campaign_stop

    original = launched(workspace_a, mailbox, 150)
    run_until(AN_HOUR_ON)
    campaign_pause(original)
    campaign_launch(original)  # resumed: its limit counts from its 150 tried
    original.refresh_from_db()
    assert original.bounce_count_tried_before == 150
    Campaign.objects.filter(pk=original.pk).update(paused_reason="3 of the 50 emails bounced")
    campaign_stop(original)

    copy = campaign_duplicate(campaign=Campaign.objects.get(pk=original.pk))
    assert (copy.bounce_count_tried_before, copy.bounce_count_bounced_before) == (0, 0)
    assert copy.paused_reason == "" and copy.launched_at is None
    assert copy.created_at > original.created_at  # listed as created now, not then

    smtp_server.script.rcpt = {f"lead{i}@x.example": "550 5.1.1 No such user" for i in range(20)}
    with time_machine.travel(AN_HOUR_ON + datetime.timedelta(hours=1), tick=False):
        campaign_launch(copy)
    run_until(AN_HOUR_ON + datetime.timedelta(hours=3))
    copy.refresh_from_db()
    assert copy.status == Campaign.Status.PAUSED, tried(copy)
    assert MIN_ATTEMPTS <= tried(copy) < 150
