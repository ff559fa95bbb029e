"""Save a campaign's sequence as a template, start a campaign from a template (the workspace's
own or a built-in starter), rename and delete templates. Only the sequence travels: steps,
delays, threading, variants with their subjects, bodies and weights."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from campaigns.authoring import content
from campaigns.authoring.services import AuthoringError
from campaigns.authoring.starters import STARTERS
from campaigns.models import Campaign, SequenceTemplate, Step, Variant

MAX_STEPS = 20


def sequence_of(campaign: Campaign) -> list[dict]:
    """The campaign's sequence as template data, in step order."""
    return [
        {
            "delay_days": step.delay_days,
            "delay_hours": step.delay_hours,
            "in_thread": step.in_thread,
            "variants": [
                {
                    "label": v.label,
                    "subject": v.subject,
                    "body_html": v.body_html,
                    "weight": v.weight,
                }
                for v in step.variants.order_by("label")
            ],
        }
        for step in campaign.steps.order_by("position").prefetch_related("variants")
    ]


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())[:120]
    if not name:
        raise AuthoringError(_("Give the template a name."))
    return name


def sequence_template_save(*, campaign: Campaign, name: str, user: User | None) -> SequenceTemplate:
    return SequenceTemplate.objects.create(
        workspace=campaign.workspace,
        name=_clean_name(name),
        steps=sequence_of(campaign),
        created_by=user,
    )


def sequence_template_rename(*, template: SequenceTemplate, name: str) -> SequenceTemplate:
    template.name = _clean_name(name)
    template.save(update_fields=["name"])
    return template


def sequence_template_delete(*, template: SequenceTemplate) -> None:
    """Campaigns started from it keep their own copy of the sequence."""
    template.delete()


def starter_steps(slug: str) -> list[dict]:
    if slug not in STARTERS:
        raise AuthoringError(_("No such starter template."))
    return STARTERS[slug]["steps"]


@transaction.atomic
def campaign_create_from_steps(*, workspace: Workspace, name: str, steps: list[dict]) -> Campaign:
    """A draft campaign whose sequence is `steps` (template data); bodies are sanitised and
    their text parts made as the editor's saves make them."""
    if not steps or len(steps) > MAX_STEPS:
        raise AuthoringError(_("This template has no usable sequence."))
    name = " ".join((name or "").split())[:120]
    if not name:
        raise AuthoringError(_("Give the campaign a name."))
    campaign = Campaign.objects.create(workspace=workspace, name=name)
    for position, data in enumerate(steps, start=1):
        step = Step.objects.create(
            campaign=campaign,
            position=position,
            delay_days=0 if position == 1 else max(0, int(data.get("delay_days", 3))),
            delay_hours=0 if position == 1 else max(0, int(data.get("delay_hours", 0))),
            in_thread=bool(data.get("in_thread", True)),
        )
        variants = data.get("variants") or [{"label": "A"}]
        for index, item in enumerate(variants[:26]):
            body_html = content.sanitize_html(str(item.get("body_html", "")))
            Variant.objects.create(
                step=step,
                label=chr(ord("A") + index),
                subject=" ".join(str(item.get("subject", "")).split())[:500],
                body_html=body_html,
                body_text=content.template_text(body_html),
                weight=max(0, min(int(item.get("weight", 1)), 100)),
            )
    return campaign


def campaign_create_started_from(*, workspace: Workspace, name: str, start_from: str) -> Campaign:
    """The new-campaign form's choice: "" (blank), "starter:<slug>" or "template:<id>"."""
    from campaigns.authoring.services import campaign_create

    kind, _sep, ref = (start_from or "").partition(":")
    if not kind:
        return campaign_create(workspace=workspace, name=name)
    if kind == "starter":
        steps = starter_steps(ref)
    elif kind == "template" and ref.isdigit():
        template = SequenceTemplate.objects.for_workspace(workspace).filter(pk=int(ref)).first()
        if template is None:
            raise AuthoringError(_("That template no longer exists."))
        steps = template.steps
    else:
        raise AuthoringError(_("Choose Blank or one of the templates."))
    return campaign_create_from_steps(workspace=workspace, name=name, steps=steps)
