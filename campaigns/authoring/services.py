"""Writing campaigns: steps and A/B variants, duplication and test sends (rendering and previews
are campaigns/authoring/rendering.py)."""

from __future__ import annotations

import string

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Workspace
from campaigns.authoring import content
from campaigns.authoring.rendering import build_message
from campaigns.models import Campaign, Lead, Step, Variant

LABELS = string.ascii_uppercase


class AuthoringError(ValueError):
    """A change to a sequence that its rules forbid; the message is for the user."""


def campaign_create(*, workspace: Workspace, name: str, timezone_name: str = "") -> Campaign:
    """A draft with one empty step; its schedule in `timezone_name` (the creator's) or UTC."""
    fields = {"timezone": timezone_name} if timezone_name else {}
    with transaction.atomic():
        campaign = Campaign.objects.create(workspace=workspace, name=name.strip()[:120], **fields)
        step_add(campaign=campaign)
    return campaign


def campaign_archive(*, campaign: Campaign, request=None) -> None:
    """Hide a draft or a finished campaign from the list; its status and numbers stay."""
    if not campaign.can_archive:
        raise AuthoringError(_("Stop the campaign before archiving it."))
    _archived_set(campaign, timezone.now(), request)


def campaign_unarchive(*, campaign: Campaign, request=None) -> None:
    """Back in the list, as it was."""
    if campaign.is_archived:
        _archived_set(campaign, None, request)


def _archived_set(campaign: Campaign, at, request) -> None:
    from accounts.models import AuditLog
    from accounts.services import audit_log

    with transaction.atomic():
        campaign.archived_at = at
        campaign.save(update_fields=["archived_at", "updated_at"])
        audit_log(
            action=AuditLog.Action.CAMPAIGN_ARCHIVED if at else AuditLog.Action.CAMPAIGN_UNARCHIVED,
            request=request,
            workspace=campaign.workspace,
            campaign=campaign.name,
            campaign_id=campaign.pk,
        )


def campaign_delete(*, campaign: Campaign, request=None) -> None:
    """Delete a draft with its sequence; a campaign that ever ran is archived, never deleted."""
    from accounts.models import AuditLog
    from accounts.services import audit_log

    with transaction.atomic():
        # Locked and read again: a launch in another tab must not race the delete.
        current = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        if current is None:
            return
        if not current.can_delete:
            raise AuthoringError(
                _("Only drafts can be deleted. Stop this campaign, then archive it.")
            )
        audit_log(
            action=AuditLog.Action.CAMPAIGN_DELETED,
            request=request,
            workspace=current.workspace,
            campaign=current.name,
            campaign_id=current.pk,
        )
        current.delete()


def step_add(*, campaign: Campaign) -> Step:
    with transaction.atomic():
        last = campaign.steps.aggregate(n=Max("position"))["n"] or 0
        step = Step.objects.create(
            campaign=campaign, position=last + 1, delay_days=0 if last == 0 else 3
        )
        Variant.objects.create(step=step, label="A")
    return step


def step_remove(*, step: Step) -> None:
    campaign = step.campaign
    if campaign.steps.count() == 1:
        raise AuthoringError(_("A campaign needs at least one step."))
    with transaction.atomic():
        step.delete()
        for position, remaining in enumerate(campaign.steps.order_by("position"), start=1):
            if remaining.position != position:
                Step.objects.filter(pk=remaining.pk).update(position=position)


def variant_add(*, step: Step) -> Variant:
    """A new variant starts as a copy of the first, so only the tested part needs changing."""
    labels = set(step.variants.values_list("label", flat=True))
    label = next((c for c in LABELS if c not in labels), None)
    if label is None:
        raise AuthoringError(_("A step can have at most 26 variants."))
    first = step.variants.order_by("label").first()
    return Variant.objects.create(
        step=step,
        label=label,
        subject=first.subject if first else "",
        body_html=first.body_html if first else "",
        body_text=first.body_text if first else "",
    )


def variant_remove(*, variant: Variant) -> None:
    if variant.step.variants.count() == 1:
        raise AuthoringError(_("A step needs at least one variant."))
    variant.delete()


def variant_save(*, variant: Variant, subject: str, body_html: str, weight: int) -> Variant:
    variant.subject = " ".join(subject.split())[:500]  # one line, always
    variant.body_html = content.sanitize_html(body_html)
    variant.body_text = content.template_text(variant.body_html)
    variant.weight = max(0, min(weight, 100))
    variant.save()
    return variant


# What a campaign's run has written on it, not its settings: a copy starts from the defaults
# (a draft, created now, and a bounce limit counting from its own launch).
RUN_STATE = (
    "status",
    "created_at",
    "launched_at",
    "paused_reason",
    "bounce_count_tried_before",
    "bounce_count_bounced_before",
    "archived_at",
)


def campaign_duplicate(*, campaign: Campaign) -> Campaign:
    """A draft with the campaign's settings, lists, mailboxes, steps and variants."""
    with transaction.atomic():
        copy = Campaign.objects.get(pk=campaign.pk)
        copy.pk = None
        copy.name = _("%(name)s (copy)") % {"name": campaign.name}
        for name in RUN_STATE:
            setattr(copy, name, Campaign._meta.get_field(name).get_default())
        copy.save()
        copy.lead_lists.set(campaign.lead_lists.all())
        copy.mailboxes.set(campaign.mailboxes.all())
        for step in campaign.steps.prefetch_related("variants"):
            variants = list(step.variants.all())
            step.pk, step.campaign = None, copy
            step.save()
            for variant in variants:
                variant.pk, variant.step = None, step
                variant.save()
    return copy


def variant_send_test(*, variant: Variant, lead: Lead | None, mailbox, to: str):
    """Send one rendered copy to the user through a mailbox; returns the sender's result."""
    from smtp_accounts.services import mailbox_send_batch

    message = build_message(variant=variant, lead=lead, mailbox=mailbox, to=to, seed="test")
    [result] = mailbox_send_batch(mailbox=mailbox, messages=[message])
    return result
