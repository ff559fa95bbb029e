"""The content filter's gates in the campaign's life: at launch, at send, and the decisions.

- At launch, `launch_content_gate` sends every step's variants to `ai.content_filter` — the
  template as written and renderings that between them use every spintax option at least once
  (merge fields stay as `{{name}}`: no lead data) — and holds the campaign when any is blocked.
- At send, `merge_values_blocked` runs the local filter on the lead's merge values (a CSV can
  fill them with anything): no remote call on the hot path. A blocked message is not sent; it
  waits, and the campaign is held.
- A held campaign is paused with a plain explanation; the operator's decision (ai.review)
  arrives as a signal: released → it resumes (the same content is not held again); suspended
  workspace → every running campaign pauses.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ai import signals
from ai.content_filter import content_check_local, content_gate
from ai.models import BlockedSnapshot
from campaigns.authoring.coverage import campaign_variants
from campaigns.models import Campaign

log = logging.getLogger(__name__)


def launch_content_gate(campaign: Campaign) -> str:
    """'' when the content may go out; else the campaign is held and the explanation returned."""
    gate = content_gate(workspace=campaign.workspace, variants=campaign_variants(campaign),
                        stage=BlockedSnapshot.Stage.LAUNCH, campaign_id=campaign.pk,
                        campaign_name=campaign.name)  # fmt: skip
    if gate.passed:
        return ""
    explanation = gate.explanation()
    campaign_hold(campaign=campaign, explanation=explanation)
    return explanation


def campaign_hold(*, campaign: Campaign, explanation: str) -> None:
    """Paused as held for review, with a plain explanation (shown on the campaign's pages)."""
    status = Campaign.Status.PAUSED if campaign.status == Campaign.Status.RUNNING else None
    changes = {"held_at": timezone.now(), "paused_reason": explanation[:300]}
    if status:
        changes["status"] = status
    Campaign.objects.filter(pk=campaign.pk).update(**changes)
    for name, value in changes.items():
        setattr(campaign, name, value)
    if status:
        from api import events as webhook_events

        webhook_events.campaign_status_changed(
            campaign, before=Campaign.Status.RUNNING, reason=f"held_for_review: {explanation}"
        )


def _phrase_or_link(value: str) -> bool:
    """Only values that can carry abuse are read: a phrase (three words or more) or a link. A
    name, an address, a phone number or a one-word city cannot, and reading them costs time
    on every message."""
    lowered = value.lower()
    return value.count(" ") >= 2 or "http" in lowered or "www." in lowered


def merge_values_text(values: dict[str, str]) -> str:
    return "\n".join(v for k, v in values.items() if v and k != "signature" and _phrase_or_link(v))


def merge_values_blocked(message, values: dict[str, str]) -> bool:
    """True (and the campaign held) when the lead's merge values carry abusive content."""
    lead_text = merge_values_text(values)
    if not lead_text:
        return False
    verdict = content_check_local(subject="", body=lead_text)
    if not verdict.blocked:
        return False
    campaign = message.enrollment.campaign
    gate = content_gate(workspace=campaign.workspace, variants=[("", lead_text)],
                        stage=BlockedSnapshot.Stage.SEND, campaign_id=campaign.pk,
                        campaign_name=campaign.name)  # fmt: skip
    if gate.passed:  # an operator released these very values
        return False
    campaign_hold(
        campaign=campaign,
        explanation=_("Held for review: a lead's merge values (%(recipient)s) look like "
                      "%(categories)s: %(reason)s Nothing was sent to that lead; an operator "
                      "will look at it.") % {"recipient": message.recipient,
                                             "categories": ", ".join(verdict.categories)
                                             or _("abuse"),
                                             "reason": verdict.reason},
    )  # fmt: skip
    return True


@receiver(signals.workspace_suspended)
def pause_suspended(sender, *, workspace, **kwargs):
    """Every running campaign of a suspended workspace pauses, with the reason."""
    with transaction.atomic():
        Campaign.objects.filter(workspace=workspace, status=Campaign.Status.RUNNING).update(
            status=Campaign.Status.PAUSED,
            # Stored in English; pages translate it ({% translate campaign.paused_reason %}).
            paused_reason=gettext_noop("Paused: the workspace is suspended after an abuse review."),
        )
