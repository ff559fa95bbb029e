"""Writing campaigns: steps and A/B variants, duplication, previews and test sends."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.models import Workspace
from campaigns.authoring import content
from campaigns.authoring.templating import (
    HEADER,
    HTML,
    TEXT,
    Formatted,
    Template,
    TemplateError,
    parse,
)
from campaigns.models import Campaign, Lead, Step, Variant

LABELS = string.ascii_uppercase
# Merge fields the sender fills in for every message, whatever the lead.
SYSTEM_FIELDS = {
    "unsubscribe_url",
    "sender_name",
    "sender_email",
    "sender_first_name",
    "signature",
}


class AuthoringError(ValueError):
    """A change to a sequence that its rules forbid; the message is for the user."""


def campaign_create(*, workspace: Workspace, name: str) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.create(workspace=workspace, name=name.strip()[:120])
        step_add(campaign=campaign)
    return campaign


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


# --- templates of a variant ---------------------------------------------------------------------


def first_subject(campaign: Campaign, label: str) -> str:
    first = Variant.objects.filter(step__campaign=campaign, step__position=1)
    variant = first.filter(label=label).first() or first.order_by("label").first()
    return variant.subject if variant else ""


def subject_source(variant: Variant) -> str:
    """A follow-up in the thread with no subject of its own replies to step 1's subject."""
    step = variant.step
    if not step.is_first and step.in_thread and not variant.subject.strip():
        return "Re: " + first_subject(step.campaign, variant.label)
    return variant.subject


def body_source(variant: Variant) -> str:
    campaign = variant.step.campaign
    if "{{unsubscribe_url" in variant.body_html or not campaign.unsubscribe_footer.strip():
        return variant.body_html
    return variant.body_html + campaign.unsubscribe_footer


@dataclass
class Parsed:
    subject: Template
    body: Template


def parse_variant(variant: Variant) -> Parsed:
    """Both templates; TemplateError names the part in its message."""
    try:
        subject = parse(subject_source(variant))
    except TemplateError as exc:
        raise TemplateError(_("Subject: %(m)s") % {"m": exc.message}, exc.line, exc.column) from exc
    try:
        body = parse(body_source(variant))
    except TemplateError as exc:
        raise TemplateError(_("Body: %(m)s") % {"m": exc.message}, exc.line, exc.column) from exc
    return Parsed(subject, body)


# --- preview ------------------------------------------------------------------------------------


def lead_values(lead: Lead | None, *, sender=None) -> dict[str, str]:
    values = lead.merge_values() if lead else {}
    values["unsubscribe_url"] = "#unsubscribe-preview"
    if sender is not None:
        values["sender_name"] = sender.from_name
        values["sender_first_name"] = sender.from_name.split(" ")[0] if sender.from_name else ""
        values["sender_email"] = sender.email
        values["signature"] = signature(sender.signature_text, sender.signature_html)
    return values


@functools.lru_cache(maxsize=256)  # the same few mailboxes sign every message
def signature(text: str, html: str) -> Formatted:
    """A mailbox's signature as `{{signature}}` gives it: its HTML, or its plain text with line
    breaks; the text from the plain-text field, or from the HTML."""
    text, html = text.strip(), html.strip()
    if not html:
        html = escape(text).replace("\r\n", "\n").replace("\n", "<br>")
    return Formatted(text or content.html_to_text(html), html=html)


def render_variant(
    variant: Variant, values: dict[str, str], *, seed: object, mark_missing: bool = False
) -> tuple[str, str, str]:
    """Subject (one line), HTML body and plain-text body of a variant for these values."""
    parsed = parse_variant(variant)
    text_source = content.template_text(body_source(variant))
    return (
        parsed.subject.render(values, seed=seed, mode=HEADER, mark_missing=mark_missing),
        parsed.body.render(values, seed=seed, mode=HTML, mark_missing=mark_missing),
        parse(text_source).render(values, seed=seed, mode=TEXT, mark_missing=mark_missing),
    )


@dataclass
class Preview:
    subject: str
    html: str
    text: str
    combinations: int
    variations: list[tuple[str, str]]
    unresolved: list[str]


def preview(variant: Variant, lead: Lead | None, *, seed: object = 0, n: int = 3) -> Preview:
    """Render for one lead; unresolved fields are marked; `n` other spintax variations."""
    parsed = parse_variant(variant)
    values = lead_values(lead, sender=variant.step.campaign.mailboxes.first())
    subject, html_body, text_body = render_variant(variant, values, seed=seed, mark_missing=True)
    combinations = parsed.subject.combinations() * parsed.body.combinations()
    seen = {(parsed.subject.render(values, seed=seed, mode=HEADER), html_body)}
    variations = []
    for i in range(1, 40 * n):
        if len(variations) >= n:
            break
        pair = (
            parsed.subject.render(values, seed=f"{seed}:{i}", mode=HEADER),
            parsed.body.render(values, seed=f"{seed}:{i}", mode=HTML, mark_missing=True),
        )
        if pair not in seen:
            seen.add(pair)
            variations.append(pair)
    unresolved = sorted(
        set(parsed.subject.unresolved(values)) | set(parsed.body.unresolved(values))
    )
    return Preview(
        subject,
        content.mark_literal_spintax(html_body),
        text_body,
        combinations,
        [(s, content.mark_literal_spintax(b)) for s, b in variations],
        unresolved,
    )


def send_test(*, variant: Variant, lead: Lead | None, mailbox, to: str):
    """Send one rendered copy to the user through a mailbox; returns the sender's result."""
    from campaigns.authoring.rendering import build_message
    from smtp_accounts.services import mailbox_send_batch

    message = build_message(variant=variant, lead=lead, mailbox=mailbox, to=to, seed="test")
    [result] = mailbox_send_batch(mailbox=mailbox, messages=[message])
    return result
