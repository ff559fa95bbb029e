"""The content filter's gates in the campaign's life: at launch, at send, and the decisions.

- At launch, `launch_content_gate` sends every step's variants to `ai.content_filter` — the
  template as written and renderings that between them use every spintax option at least once
  (merge fields stay as `{{name}}`: no lead data) — and holds the campaign when any is blocked.
- At send, `merge_values_blocked` runs the local filter on the lead's merge values that the
  message shows (a CSV can fill them with anything): no remote call on the hot path, and the
  same values judged once (a bounded cache: the rules are a pure function of the text). A
  blocked message is not sent; it waits, and the campaign is held.
- A held campaign is paused with a plain explanation; the operator's decision (ai.review)
  arrives as a signal: released → it resumes (the same content is not held again); suspended
  workspace → every running campaign pauses.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Collection

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ai import signals
from ai.content_filter import content_check_local, content_gate
from ai.models import BlockedSnapshot
from ai.providers.base import ContentVerdict
from campaigns.authoring.coverage import campaign_variants
from campaigns.authoring.rendering import body_source, subject_source
from campaigns.authoring.templating import parse
from campaigns.models import Campaign
from campaigns.notices import campaign_notify_paused

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
    campaign_notify_paused(
        campaign=campaign,
        guard="review",
        title=_("Campaign %(name)s is held for review") % {"name": campaign.name},
        body=explanation,
    )


def _phrase_or_link(value: str) -> bool:
    """Only values that can carry abuse are read: a phrase (three words or more) or a link. A
    name, an address, a phone number or a one-word city cannot, and reading them costs time
    on every message."""
    lowered = value.lower()
    return value.count(" ") >= 2 or "http" in lowered or "www." in lowered


def merge_values_text(values: dict[str, str], used: Collection[str] | None = None) -> str:
    """The merge values the check reads, one a line: those the message shows (`used`: the
    fields its templates name; None: all), not the sender's signature, phrases and links."""
    return "\n".join(
        v
        for k, v in values.items()
        if v and k != "signature" and (used is None or k in used) and _phrase_or_link(v)
    )


@functools.lru_cache(maxsize=64)
def _fields_of(subject: str, body: str) -> frozenset[str]:
    return frozenset(parse(subject).fields) | frozenset(parse(body).fields)


def fields_used(variant) -> frozenset[str]:
    """Every merge field a variant's subject and body name (in any spintax option): what can
    reach the recipient. A value in another field stays in the lead's record."""
    return _fields_of(subject_source(variant), body_source(variant))


@functools.lru_cache(maxsize=4096)
def _verdict_of(lead_text: str) -> ContentVerdict:
    """The local rules are a pure function of the text: leads sharing values (a company, a
    title, a website) are judged once. The verdict is immutable, so sharing it is safe."""
    return content_check_local(subject="", body=lead_text)


def merge_values_blocked(message, values: dict[str, str]) -> bool:
    """True (and the campaign held) when the merge values the message shows carry abusive
    content. `AI_CONTENT_CHECK_AT_SEND` off (benchmarks measuring its cost) skips it."""
    if not settings.AI_CONTENT_CHECK_AT_SEND:
        return False
    lead_text = merge_values_text(values, fields_used(message.variant))
    if not lead_text:
        return False
    verdict = _verdict_of(lead_text)
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
