"""The state machine in campaigns/lifecycle.py, once for each caller: whatever stops a lead's
sequence stops it once, for the first reason, and takes its queued follow-up with it."""

import datetime

import pytest
import time_machine

from campaigns.inbox.receive import receive
from campaigns.leads.suppression import suppression_add
from campaigns.leads.unsubscribe import unsubscribe
from campaigns.lifecycle import enrollments_stop, messages_recover_interrupted
from campaigns.models import Enrollment, OutboundMessage, StopReason
from campaigns.sending.dispatch import claim_for_mailbox
from campaigns.sending.launch import campaign_launch, campaign_stop
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db

FOLLOW_UP_DUE = START + datetime.timedelta(days=1, hours=2)
LATER = FOLLOW_UP_DUE + datetime.timedelta(minutes=5)


@pytest.fixture
def follow_ups_queued(workspace_a, mailbox):
    """Step 1 sent to lead0 and lead1; their step 2 is queued (claimed, not sending yet)."""
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    with time_machine.travel(FOLLOW_UP_DUE, tick=False):
        assert len(claim_for_mailbox(mailbox.pk, FOLLOW_UP_DUE)) == 2
    first = OutboundMessage.objects.select_related("enrollment__campaign").get(
        recipient="lead0@x.example", step__position=1
    )
    return campaign, first


def enrollment_of(address: str) -> Enrollment:
    return Enrollment.objects.get(lead__email=address)


def queued_for(address: str) -> int:
    return OutboundMessage.objects.queued().filter(recipient=address).count()


def reply(campaign, first, mailbox):
    receive(mailbox, mail.gmail_reply(first), LATER)


def unsubscribe_link(campaign, first, mailbox):
    unsubscribe(first)


def bounce_report(campaign, first, mailbox):
    receive(mailbox, mail.postfix_bounce(first), LATER)


def complaint_report(campaign, first, mailbox):
    receive(mailbox, mail.arf_complaint(first), LATER)


@pytest.mark.parametrize(
    ("caller", "reason"),
    [
        (reply, StopReason.REPLIED),
        (unsubscribe_link, StopReason.UNSUBSCRIBED),
        (bounce_report, StopReason.BOUNCED),
        (complaint_report, StopReason.UNSUBSCRIBED),
    ],
)
def test_a_recipient_stop_ends_the_sequence_and_takes_the_queued_follow_up(
    follow_ups_queued, mailbox, caller, reason
):
    campaign, first = follow_ups_queued
    with time_machine.travel(LATER, tick=False):
        caller(campaign, first, mailbox)
    stopped = enrollment_of("lead0@x.example")
    assert (stopped.status, stopped.stop_reason) == ("stopped", reason)
    assert stopped.next_due_at is None
    assert queued_for("lead0@x.example") == 0
    assert queued_for("lead1@x.example") == 1  # the other lead is untouched
    assert enrollment_of("lead1@x.example").is_active


def test_a_stopped_campaign_takes_every_queued_message(follow_ups_queued):
    campaign, _first = follow_ups_queued
    campaign_stop(campaign)
    reasons = set(Enrollment.objects.values_list("stop_reason", flat=True))
    assert reasons == {StopReason.CAMPAIGN_STOPPED}
    assert not OutboundMessage.objects.queued().exists()


def test_a_second_stop_keeps_the_first_reason_and_counts_nothing(follow_ups_queued, mailbox):
    campaign, first = follow_ups_queued
    with time_machine.travel(LATER, tick=False):
        reply(campaign, first, mailbox)
        unsubscribe(first)
    assert enrollment_of("lead0@x.example").stop_reason == StopReason.REPLIED
    again = enrollments_stop(enrollments=[first.enrollment_id], reason=StopReason.CAMPAIGN_STOPPED)
    assert again == []
    assert enrollment_of("lead0@x.example").stop_reason == StopReason.REPLIED


def test_the_dispatcher_stops_a_lead_suppressed_before_its_follow_up(workspace_a, mailbox):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    suppression_add(workspace=workspace_a, entry="lead0@x.example")
    run_until(FOLLOW_UP_DUE)
    assert enrollment_of("lead0@x.example").stop_reason == StopReason.SUPPRESSED
    assert not OutboundMessage.objects.filter(
        recipient="lead0@x.example", step__position=2
    ).exists()
    assert OutboundMessage.objects.filter(recipient="lead1@x.example", step__position=2).exists()


def test_a_send_refused_for_good_fails_the_message_and_stops_the_lead(
    workspace_a, mailbox, smtp_server
):
    smtp_server.script.rcpt = {"lead0@x.example": "550 5.1.1 No such user"}
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    failed = OutboundMessage.objects.get(recipient="lead0@x.example")
    assert failed.state == OutboundMessage.State.FAILED
    assert enrollment_of("lead0@x.example").stop_reason == StopReason.BOUNCED
    assert enrollment_of("lead1@x.example").next_step == 2  # advanced past step 1


def test_a_send_is_advanced_to_the_next_step_after_its_delay(follow_ups_queued):
    campaign, first = follow_ups_queued
    second = campaign.steps.get(position=2)
    enrollment = enrollment_of("lead1@x.example")
    assert enrollment.next_step == 2
    sent = OutboundMessage.objects.get(recipient="lead1@x.example", step__position=1)
    assert sent.sent_at + second.wait <= FOLLOW_UP_DUE


def test_the_last_step_sent_completes_the_sequence(workspace_a, mailbox):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    finished = enrollment_of("lead0@x.example")
    assert (finished.status, finished.stop_reason, finished.next_due_at) == ("completed", "", None)


def test_an_interrupted_send_becomes_unknown_and_a_reply_says_why_it_ended(workspace_a, mailbox):
    """A worker claimed step 1 (`sending`, committed) and died before SMTP answered."""
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign)
    claimed_at = START + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(claimed_at, tick=False):
        ids = claim_for_mailbox(mailbox.pk, claimed_at)
    OutboundMessage.objects.filter(pk__in=ids).update(
        state=OutboundMessage.State.SENDING, sending_at=claimed_at, attempts=1
    )
    with time_machine.travel(claimed_at + datetime.timedelta(hours=1), tick=False):
        assert messages_recover_interrupted() == 2
    first = OutboundMessage.objects.get(recipient="lead0@x.example")
    assert first.state == OutboundMessage.State.UNKNOWN
    assert enrollment_of("lead0@x.example").was_interrupted
    assert run_until(FOLLOW_UP_DUE) == 0  # never sent again by itself
    receive(mailbox, mail.gmail_reply(first), LATER)
    first.refresh_from_db()
    assert (first.state, first.sent_at) == (OutboundMessage.State.SENT, claimed_at)
    assert enrollment_of("lead0@x.example").stop_reason == StopReason.REPLIED
    assert enrollment_of("lead1@x.example").was_interrupted
