"""Unsubscribing a recipient: suppression first, then every enrollment of theirs stops."""

from __future__ import annotations

from django.db import transaction

from campaigns.leads.addresses import company_domain
from campaigns.leads.suppression import suppression_add
from campaigns.models import Enrollment, Event, Lead, OutboundMessage, Suppression
from campaigns.sending.delivery import delivered_after_all, interrupted_ends
from campaigns.stats import Tally


def unsubscribe(message: OutboundMessage, *, reason: str = Suppression.Reason.UNSUBSCRIBED) -> None:
    """The recipient of `message` asked to hear no more (the link, one-click, words) or
    complained (a feedback report: `reason` COMPLAINT)."""
    campaign = message.enrollment.campaign
    workspace = campaign.workspace
    address = message.recipient.lower()
    with transaction.atomic():
        delivered_after_all([message])  # it reached them: they acted on it
        interrupted_ends([message.enrollment], "unsubscribed")
        suppression_add(
            workspace=workspace,
            entry=address,
            reason=reason,
            note=campaign.name[:200],
        )
        company = company_domain(address) if campaign.stop_company_on_reply else None
        if company:  # a gmail.com address speaks for its owner, not for all of gmail.com
            suppression_add(
                workspace=workspace,
                entry="@" + company,
                reason=Suppression.Reason.UNSUBSCRIBED,
                note=campaign.name[:200],
            )
        Lead.objects.for_workspace(workspace).filter(email_normalized=address).update(
            status=Lead.Status.UNSUBSCRIBED
        )
        tally = Tally()
        active = Enrollment.objects.select_for_update().filter(
            campaign__workspace=workspace,
            lead__email_normalized=address,
            status=Enrollment.Status.ACTIVE,
        )
        for campaign_id in active.values_list("campaign_id", flat=True):
            tally.add(campaign_id, "stopped")
        active.update(
            status=Enrollment.Status.STOPPED, stop_reason="unsubscribed", next_due_at=None
        )
        OutboundMessage.objects.filter(
            enrollment__campaign__workspace=workspace,
            recipient__iexact=address,
            state=OutboundMessage.State.QUEUED,
        ).delete()
        if not message.events.filter(kind=Event.Kind.UNSUBSCRIBE).exists():
            Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
            tally.message(campaign.pk, message, "unsubscribed")
        tally.save()
