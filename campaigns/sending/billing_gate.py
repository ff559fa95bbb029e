"""Where sending meets the prepaid balance (billing/): each call site is one line.

- Launch: refused with a clear problem when the balance cannot pay for one email.
- Claim (dispatch): a workspace's new messages are admitted only as far as its balance pays for
  them after what is already queued or being sent; the balance row is locked meanwhile, so
  concurrent dispatchers admit against the same figure. What was admitted is charged when it is
  recorded sent — even below zero — so the overdraw stays within what was in flight (at most a
  chunk: the difference comes from price changes or AI calls charged meanwhile).
- Sent: charged in the transaction that records the messages sent (one ledger entry a chunk),
  so a crash leaves both or neither.
- An exhausted balance pauses the workspace's running campaigns as "out of balance" (not a
  user's pause, not the bounce guard); a top-up resumes them if the workspace chose so.
"""

from __future__ import annotations

from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from api import events as webhook_events
from billing import prices
from billing.services import account_for, emails_left, send_charge
from billing.signals import balance_exhausted, balance_restored
from campaigns.models import Campaign, Enrollment, OutboundMessage
from campaigns.notices import campaign_notify_paused
from campaigns.sending.problems import Problem

# Stored as the campaign's paused_reason: what tells a balance pause from the others. Stored in
# English (the key); pages show it with {% translate campaign.paused_reason %}.
OUT_OF_BALANCE = gettext_noop("Out of balance: top up to resume sending.")
IN_FLIGHT = (OutboundMessage.State.QUEUED, OutboundMessage.State.SENDING)


def balance_problems(campaign: Campaign) -> list:
    """The launch gate's problem, if the balance cannot pay for one email."""

    account = account_for(campaign.workspace_id)
    if emails_left(account.balance) == 0:
        message = _(
            "Your balance (%(balance)s) does not pay for an email (%(price)s): top up first."
        ) % {
            "balance": prices.money(account.balance, account.currency),
            "price": prices.money(prices.price_email()),
        }
        return [Problem(message, reverse("billing_overview"))]
    return []


def admissible(retries: int, eligible: list) -> int:
    """How many of the claim's `retries` and `eligible` (enrollment, step) pairs it may queue.
    Inside the claim's transaction: locks the workspace's balance row until it commits.
    Retries were admitted (and counted in flight) when first queued."""
    new = len(eligible)
    if not new:
        return retries
    workspace_id = eligible[0][0].campaign.workspace_id  # a mailbox is one workspace's
    account = account_for(workspace_id, lock=True)
    left = emails_left(account.balance)
    if left is None:
        return retries + new
    in_flight = OutboundMessage.objects.filter(
        mailbox__workspace_id=workspace_id, state__in=IN_FLIGHT
    ).count()
    allowed = max(0, min(new, left - in_flight))
    if left == 0:
        pause_for_balance(workspace_id)
    return retries + allowed


def charge_sent(messages: list[OutboundMessage]) -> None:
    """Charge these messages, just recorded sent, in the same transaction (one entry a
    workspace; a batch is one workspace's)."""
    if not messages:
        return
    loaded = [m.enrollment for m in messages if Enrollment.campaign.is_cached(m.enrollment)]
    owners = {e.campaign_id: e.campaign.workspace_id for e in loaded}
    missing = {m.enrollment.campaign_id for m in messages} - owners.keys()
    if missing:
        owners.update(Campaign.objects.filter(pk__in=missing).values_list("pk", "workspace_id"))
    by_workspace: dict[int, list[OutboundMessage]] = {}
    for message in messages:
        workspace_id = owners[message.enrollment.campaign_id]
        by_workspace.setdefault(workspace_id, []).append(message)
    for workspace_id, sent in by_workspace.items():
        ids = sorted(m.pk for m in sent)
        campaigns = sorted({m.enrollment.campaign_id for m in sent})
        reference = f"campaign:{','.join(map(str, campaigns))} messages:{ids[0]}-{ids[-1]}"
        send_charge(workspace=workspace_id, count=len(sent), reference=reference[:120])


def pause_for_balance(workspace_id: int) -> int:
    """The workspace's running campaigns pause as out of balance (told to webhooks)."""
    return _move(workspace_id, Campaign.Status.RUNNING, Campaign.Status.PAUSED, OUT_OF_BALANCE)


def resume_after_topup(workspace_id: int) -> int:
    """Only the campaigns the balance paused run again (not a user's pause, nor the bounce
    guard's)."""
    return _move(workspace_id, Campaign.Status.PAUSED, Campaign.Status.RUNNING, "")


def _move(workspace_id: int, before: str, after: str, reason: str) -> int:
    campaigns = Campaign.objects.filter(workspace_id=workspace_id, status=before)
    if before == Campaign.Status.PAUSED:
        campaigns = campaigns.filter(paused_reason=OUT_OF_BALANCE)
    campaigns = list(campaigns)
    if not campaigns:
        return 0
    Campaign.objects.filter(pk__in=[c.pk for c in campaigns], status=before).update(
        status=after, paused_reason=reason
    )
    for campaign in campaigns:
        campaign.status, campaign.paused_reason = after, reason
        webhook_events.campaign_status_changed(
            campaign, before=before, reason=f"balance: {OUT_OF_BALANCE}" if reason else "balance"
        )
        if after == Campaign.Status.PAUSED:
            campaign_notify_paused(
                campaign=campaign,
                guard="balance",
                title=_("Campaign %(name)s was paused: out of balance") % {"name": campaign.name},
                body=_(
                    "The workspace's balance is used up, so nothing more is sent. Top up on the "
                    "Billing page: the campaigns the balance paused resume on their own."
                ),
            )
    return len(campaigns)


@receiver(balance_exhausted, dispatch_uid="campaigns_pause_for_balance")
def _on_exhausted(sender, workspace, **kwargs):
    pause_for_balance(workspace.pk)


@receiver(balance_restored, dispatch_uid="campaigns_resume_after_topup")
def _on_restored(sender, workspace, **kwargs):
    if account_for(workspace).resume_after_topup:
        resume_after_topup(workspace.pk)
