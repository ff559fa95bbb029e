"""What the outreach domain tells people (accounts.notifications does the telling): an interested
reply, a finished import, a campaign at the end of its sequence, and a campaign or mailbox that
Postigo paused (bounce guard, balance, content review, mailbox failure, suspension). Each names
its event in a key, so a retried task or a second sync never tells twice; each links where the
user acts (the reply in the inbox, the import's report, the campaign's report)."""

from __future__ import annotations

import hashlib

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, NotificationKind
from accounts.notifications import notify
from campaigns.models import Campaign, Enrollment, LeadImport, OutboundMessage, Reply


def replies_notify_interested(*, replies: list[Reply]) -> int:
    """Tell the workspace about each new reply labelled interested. Returns how many."""
    told = 0
    for reply in replies:
        if reply.pk and reply.kind == Reply.Kind.REPLY and reply.label == Reply.Label.INTERESTED:
            reply_notify_interested(reply=reply)
            told += 1
    return told


def reply_notify_interested(*, reply: Reply) -> None:
    message = reply.message
    campaign = message.enrollment.campaign
    notify(
        workspace=campaign.workspace,
        kind=NotificationKind.INTERESTED_REPLY,
        key=f"interested_reply:{reply.pk}",
        level=Notification.Level.SUCCESS,
        title=_("%(who)s is interested (%(campaign)s)")
        % {"who": reply.from_address or message.recipient, "campaign": campaign.name},
        body=(reply.text or "").strip()[:300],
        url=reverse("inbox_thread", args=[reply.pk]),
    )


def lead_import_notify_finished(*, lead_import: LeadImport) -> None:
    """The person who started the import (everyone, when nobody is known) hears how it went."""
    imp = LeadImport.objects.select_related("workspace", "lead_list").get(pk=lead_import.pk)
    notify(
        workspace=imp.workspace,
        users=[imp.created_by] if imp.created_by_id else None,
        kind=NotificationKind.IMPORT_FINISHED,
        key=f"import_finished:{imp.pk}",
        level=Notification.Level.SUCCESS if not imp.invalid else Notification.Level.WARNING,
        title=_("Import into %(list)s finished: %(imported)s new leads")
        % {"list": imp.lead_list.name, "imported": imp.imported},
        body=_(
            "%(updated)s updated, %(unchanged)s already there, %(duplicates)s duplicates, "
            "%(invalid)s invalid, %(suppressed)s suppressed."
        )
        % {name: getattr(imp, name) for name in LeadImport.COUNTS},
        url=reverse("lead_import_detail", args=[imp.pk]),
    )


def campaign_notify_paused(*, campaign: Campaign, guard: str, title: str, body: str) -> None:
    """A guard paused (or held) the campaign: said once per campaign, guard, reason and day."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    notify(
        workspace=campaign.workspace,
        kind=NotificationKind.PAUSED,
        key=f"campaign_paused:{campaign.pk}:{guard}:{timezone.now():%Y-%m-%d}:{digest}",
        level=Notification.Level.ERROR,
        title=title,
        body=body,
        url=reverse("campaign_report", args=[campaign.pk]),
    )


def campaigns_notify_finished() -> int:
    """Running campaigns whose every lead has been through the sequence (or stopped) and that
    have nothing in flight: told once each. Returns how many were told now."""
    in_flight = OutboundMessage.objects.filter(
        enrollment__campaign=OuterRef("pk"),
        state__in=[OutboundMessage.State.QUEUED, OutboundMessage.State.SENDING],
    )
    active = Enrollment.objects.filter(campaign=OuterRef("pk"), status=Enrollment.Status.ACTIVE)
    enrolled = Enrollment.objects.filter(campaign=OuterRef("pk"))
    done = list(
        Campaign.objects.filter(status=Campaign.Status.RUNNING)
        .filter(Exists(enrolled), ~Exists(active), ~Exists(in_flight))
        .select_related("workspace")
    )
    told = set(
        Notification.objects.filter(
            key__in=[f"campaign_finished:{c.pk}" for c in done]
        ).values_list("key", flat=True)
    )
    count = 0
    for campaign in done:
        if f"campaign_finished:{campaign.pk}" not in told:
            campaign_notify_finished(campaign=campaign)
            count += 1
    return count


def campaign_notify_finished(*, campaign: Campaign) -> None:
    enrollments = Enrollment.objects.filter(campaign=campaign)
    notify(
        workspace=campaign.workspace,
        kind=NotificationKind.CAMPAIGN_FINISHED,
        key=f"campaign_finished:{campaign.pk}",
        level=Notification.Level.SUCCESS,
        title=_("Campaign %(name)s finished") % {"name": campaign.name},
        body=_(
            "Every lead has been through the sequence: %(completed)s completed it, %(stopped)s "
            "stopped early (a reply, a bounce, an unsubscribe). The report has the numbers."
        )
        % {
            "completed": enrollments.filter(status=Enrollment.Status.COMPLETED).count(),
            "stopped": enrollments.filter(status=Enrollment.Status.STOPPED).count(),
        },
        url=reverse("campaign_report", args=[campaign.pk]),
    )
