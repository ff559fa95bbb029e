"""Charging inside the send: a campaign's sent emails are charged in the transaction that
records them sent, launch and dispatch respect the balance, an exhausted balance pauses the
workspace's campaigns as "out of balance" and a top-up resumes them."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from billing.models import LedgerEntry
from billing.services import account_for, balance_charge, balance_credit, balance_of
from campaigns.models import Campaign, OutboundMessage
from campaigns.sending.billing_gate import OUT_OF_BALANCE
from campaigns.sending.dispatch import claim_for_mailbox
from campaigns.sending.launch import LaunchError, campaign_launch, campaign_pause
from tests.campaigns.pipeline import START, build, run_until
from tests.smtp_accounts.factories import sink_mailbox


@pytest.fixture
def mailbox(workspace_a, smtp_server):
    return sink_mailbox(workspace_a, smtp_server, daily_cap=1000, hourly_cap=1000)


def set_balance(workspace, amount: int) -> None:
    now = balance_of(workspace)
    if amount > now:
        balance_credit(workspace=workspace, amount=amount - now, reason="test")
    elif amount < now:
        balance_charge(workspace=workspace, amount=now - amount, reason="test")


def email_charges(workspace):
    return LedgerEntry.objects.filter(workspace=workspace, purpose="email")


def test_a_campaign_that_sends_n_emails_is_charged_n_times_the_price(
    workspace_a, mailbox, smtp_server, settings
):
    settings.BILLING_PRICE_EMAIL = 3
    before = balance_of(workspace_a)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=30, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    sent = OutboundMessage.objects.filter(state="sent").count()
    assert sent == len(smtp_server.received) == 30
    assert balance_of(workspace_a) == before - 30 * 3
    charges = email_charges(workspace_a)
    assert sum(e.quantity for e in charges) == 30 and {e.unit_price for e in charges} == {3}
    assert charges.count() < 30  # one entry a recorded chunk, not one a message


def test_launch_is_refused_when_the_balance_cannot_pay_for_one_email(
    workspace_a, mailbox, settings
):
    settings.BILLING_PRICE_EMAIL = 5
    set_balance(workspace_a, 4)
    campaign = build(workspace_a, mailbox, n=2, steps=1)
    with pytest.raises(LaunchError) as refused:
        campaign_launch(campaign)
    assert "does not pay for an email" in str(refused.value)
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DRAFT


def test_the_dispatcher_queues_only_what_the_balance_pays_for_and_then_pauses(
    workspace_a, mailbox, smtp_server, settings
):
    settings.BILLING_PRICE_EMAIL = 2
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=10, steps=1)
        campaign_launch(campaign)
    set_balance(workspace_a, 2 * 6 + 1)  # six emails and a cent
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    assert len(smtp_server.received) == 6
    assert balance_of(workspace_a) == 1  # never below zero
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED and campaign.paused_reason == OUT_OF_BALANCE


def test_an_exhausted_workspace_gets_nothing_claimed(workspace_a, mailbox, settings):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign)
    set_balance(workspace_a, 0)
    at = START + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(at, tick=False):
        assert claim_for_mailbox(mailbox.pk, at) == []


def test_a_top_up_resumes_campaigns_paused_for_balance_only(
    workspace_a, mailbox, smtp_server, settings
):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=5, steps=1)
        campaign_launch(campaign)
        other = build(workspace_a, mailbox, n=2, steps=1, prefix="other")
        campaign_launch(other)
        campaign_pause(other)  # the user's own pause
    set_balance(workspace_a, 2)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    campaign.refresh_from_db()
    assert campaign.paused_reason == OUT_OF_BALANCE
    balance_credit(workspace=workspace_a, amount=500, reason="top-up")
    campaign.refresh_from_db()
    other.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING and campaign.paused_reason == ""
    assert other.status == Campaign.Status.PAUSED  # the user's pause stays
    run_until(START + datetime.timedelta(hours=2))
    assert len({r.rcpt_tos[0] for r in smtp_server.received if "lead" in r.rcpt_tos[0]}) == 5


def test_without_the_choice_a_top_up_leaves_them_paused(workspace_a, mailbox, smtp_server):
    account = account_for(workspace_a)
    account.resume_after_topup = False
    account.save()
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=5, steps=1)
        campaign_launch(campaign)
    set_balance(workspace_a, 2)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    balance_credit(workspace=workspace_a, amount=500, reason="top-up")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED and campaign.paused_reason == OUT_OF_BALANCE


def test_the_balance_pause_is_told_apart_from_the_bounce_guard_and_the_user(
    workspace_a, mailbox, smtp_server
):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign)
    set_balance(workspace_a, 1)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    campaign.refresh_from_db()
    assert campaign.paused_reason == OUT_OF_BALANCE
    assert "bounce" not in campaign.paused_reason.lower()


def test_webhooks_hear_of_the_balance_pause_and_the_resume(workspace_a, mailbox, smtp_server):
    from api.models import WebhookEndpoint, WebhookEvent

    WebhookEndpoint.objects.create(
        workspace=workspace_a, url="https://hooks.example.com/p", events=["campaign.status_changed"]
    )
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign)
    set_balance(workspace_a, 1)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    balance_credit(workspace=workspace_a, amount=500, reason="top-up")
    changes = [
        (e.data["previous_status"], e.data["status"], e.data["reason"].split(":")[0])
        for e in WebhookEvent.objects.filter(type="campaign.status_changed").order_by("pk")
    ]
    assert changes[-2:] == [("running", "paused", "balance"), ("paused", "running", "balance")]
