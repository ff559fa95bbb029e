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

from ai import signals
from ai.content_filter import content_check_local, content_gate
from ai.models import BlockedSnapshot
from campaigns.authoring.services import parse_variant
from campaigns.authoring.templating import Merge, Spin, TemplateError
from campaigns.models import Campaign

log = logging.getLogger(__name__)
MAX_RENDERINGS = 12  # per template: enough to use every option of every group once


def _pick(nodes, k: int, out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Merge):
            out.append("{{" + node.name + "}}")
        elif isinstance(node, Spin):
            _pick(node.options[k % len(node.options)], k, out)


def _widest(nodes) -> int:
    widest = 1
    for node in nodes:
        if isinstance(node, Spin):
            widest = max(widest, len(node.options), *(_widest(o) for o in node.options))
    return widest


def renderings(template) -> list[str]:
    """Renderings that together use every spintax option at least once (the k-th takes option
    k of each group, so as many as the widest group has options)."""
    count = min(_widest(template.nodes), MAX_RENDERINGS)
    seen: dict[str, None] = {}
    for k in range(count):
        out: list[str] = []
        _pick(template.nodes, k, out)
        seen["".join(out)] = None
    return list(seen)


def campaign_variants(campaign: Campaign) -> list[tuple[str, str]]:
    """(subject, body) pairs to check: each variant as written, and its covering renderings."""
    pairs: list[tuple[str, str]] = []
    for step in campaign.steps.prefetch_related("variants"):
        for variant in step.variants.all():
            variant.step = step
            step.campaign = campaign
            pairs.append((variant.subject, variant.body_html))
            try:
                parsed = parse_variant(variant)
            except TemplateError:
                continue  # the launch gate reports it
            subjects, bodies = renderings(parsed.subject), renderings(parsed.body)
            for k in range(max(len(subjects), len(bodies))):
                pairs.append((subjects[k % len(subjects)], bodies[k % len(bodies)]))
    return pairs


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
        explanation=(f"Held for review: a lead's merge values ({message.recipient}) look like "
                     f"{', '.join(verdict.categories) or 'abuse'}: {verdict.reason} Nothing was "
                     "sent to that lead; an operator will look at it."),
    )  # fmt: skip
    return True


@receiver(signals.content_released)
def resume_released(sender, *, workspace, campaign_id, **kwargs):
    """An operator released the held content: the campaign launches (or resumes) again."""
    from campaigns.sending.launch import LaunchError, campaign_launch

    campaign = Campaign.objects.filter(workspace=workspace, pk=campaign_id).first()
    if campaign is None or campaign.held_at is None:
        return
    Campaign.objects.filter(pk=campaign.pk).update(held_at=None, paused_reason="")
    campaign.held_at, campaign.paused_reason = None, ""
    try:
        campaign_launch(campaign)
    except LaunchError as exc:  # e.g. its mailbox was paused meanwhile: the user resumes later
        log.info("Released campaign %s does not launch yet: %s", campaign.pk, exc)


@receiver(signals.workspace_suspended)
def pause_suspended(sender, *, workspace, **kwargs):
    """Every running campaign of a suspended workspace pauses, with the reason."""
    with transaction.atomic():
        Campaign.objects.filter(workspace=workspace, status=Campaign.Status.RUNNING).update(
            status=Campaign.Status.PAUSED,
            paused_reason="Paused: the workspace is suspended after an abuse review.",
        )
