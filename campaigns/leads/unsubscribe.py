"""Unsubscribing a recipient: suppression first, then every enrollment of theirs stops
(`campaigns/lifecycle.py`)."""

from __future__ import annotations

from django.db import transaction

from api import events as webhook_events
from campaigns.leads.addresses import company_domain
from campaigns.leads.suppression import suppression_add
from campaigns.lifecycle import enrollments_explain, enrollments_stop, messages_promote
from campaigns.models import Enrollment, Event, Lead, OutboundMessage, StopReason, Suppression
from campaigns.stats import Tally


def unsubscribe(message: OutboundMessage, *, reason: str = Suppression.Reason.UNSUBSCRIBED) -> None:
    """The recipient of `message` asked to hear no more (the link, one-click, words) or
    complained (a feedback report: `reason` COMPLAINT)."""
    campaign = message.enrollment.campaign
    workspace = campaign.workspace
    address = message.recipient.lower()
    with transaction.atomic():
        messages_promote([message])  # it reached them: they acted on it
        enrollments_explain([message.enrollment], StopReason.UNSUBSCRIBED)
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
        enrollments_stop(
            enrollments=Enrollment.objects.filter(
                campaign__workspace=workspace, lead__email_normalized=address
            ),
            reason=StopReason.UNSUBSCRIBED,
            tally=tally,
        )
        if not message.events.filter(kind=Event.Kind.UNSUBSCRIBE).exists():
            Event.objects.create(message=message, kind=Event.Kind.UNSUBSCRIBE)
            tally.message(campaign.pk, message, "unsubscribed")
            webhook_events.lead_unsubscribed(workspace.pk, message, reason=reason)
        tally.save()
