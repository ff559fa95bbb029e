"""“Write with AI” and “Suggest follow-up” in the sequence editor (issue 20, item 6).

The brief goes to `ai.writer.copy_write` (redacted, rate-limited, counted); what comes back is
validated by our template parser and passed through the content filter before it is stored —
into a new A/B variant when the step already has text, so nothing the user wrote is lost. The
user then edits it like any text. Failures (no provider, budget, provider down, bad template,
content blocked) are shown as a plain message and change nothing.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import Action, allowed_to
from ai.content_filter import content_check
from ai.providers.base import Copy, ProviderError
from ai.writer import LANGUAGES, LENGTHS, TONES, Brief, copy_write
from campaigns.authoring import services as authoring
from campaigns.authoring.templating import TemplateError, parse
from campaigns.models import Campaign, Step
from core.tenancy import get_for_workspace_or_404

# The writer's prompt names tones, lengths and languages in English (ai/writer.py); a user reads
# them in their own language.
TONE_LABELS = {
    "friendly": gettext_lazy("friendly"),
    "formal": gettext_lazy("formal"),
    "direct": gettext_lazy("direct"),
    "playful": gettext_lazy("playful"),
}
LENGTH_LABELS = {
    "short": gettext_lazy("short"),
    "medium": gettext_lazy("medium"),
    "long": gettext_lazy("long"),
}
LANGUAGE_LABELS = {
    "English": gettext_lazy("English"),
    "German": gettext_lazy("German"),
    "French": gettext_lazy("French"),
    "Spanish": gettext_lazy("Spanish"),
    "Italian": gettext_lazy("Italian"),
    "Dutch": gettext_lazy("Dutch"),
    "Polish": gettext_lazy("Polish"),
    "Portuguese": gettext_lazy("Portuguese"),
}


class BriefForm(forms.Form):
    offer = forms.CharField(
        label=gettext_lazy("What you offer"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    audience = forms.CharField(label=gettext_lazy("To whom"), max_length=200, required=False)
    tone = forms.ChoiceField(
        label=gettext_lazy("Tone"), choices=[(t, TONE_LABELS.get(t, t)) for t in TONES]
    )
    length = forms.ChoiceField(
        label=gettext_lazy("Length"), choices=[(k, LENGTH_LABELS.get(k, k)) for k in LENGTHS]
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[(lang, LANGUAGE_LABELS.get(lang, lang)) for lang in LANGUAGES],
    )
    call_to_action = forms.CharField(
        label=gettext_lazy("Call to action"),
        max_length=200,
        initial=gettext_lazy("a 15-minute call"),
    )
    step = forms.IntegerField(label=gettext_lazy("Step"), widget=forms.HiddenInput, required=False)


def body_html(text: str) -> str:
    """The model's plain-text body as editor HTML: paragraphs on blank lines."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def spun_subject(subjects: list[str]) -> str:
    """Several subject lines as one spintax subject: each lead gets one of them.

    `{{` always opens a merge field, so the outer group must not start with a line that starts
    with a brace: such a line moves back, or (all of them starting so) gets a leading space."""
    lines = [" ".join(s.split()) for s in subjects if s.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else ""
    lines.sort(key=lambda line: line.startswith("{"))  # stable: the model's order otherwise
    if lines[0].startswith("{"):
        lines[0] = " " + lines[0]
    return "{" + "|".join(lines) + "}"


def _checked(copy: Copy, subject: str, campaign: Campaign) -> str:
    """'' when the copy parses and passes the content filter, else why not."""
    try:
        parse(subject)
        parse(copy.body)
    except TemplateError as exc:
        return _("The AI's text is not a valid template (%(error)s); nothing was changed.") % {
            "error": exc
        }
    verdict = content_check(subject=subject, body=copy.body, workspace=campaign.workspace)
    if verdict.blocked:
        return _("The content filter blocked the AI's text (%(why)s); nothing was changed.") % {
            "why": verdict.reason or ", ".join(verdict.categories)
        }
    return ""


def _store(step: Step, subject: str, copy: Copy) -> int:
    """Into the step's first variant when it is empty, else into a new A/B variant."""
    variant = step.variants.order_by("label").first()
    if variant is None or variant.subject.strip() or variant.body_text.strip():
        variant = authoring.variant_add(step=step)
    authoring.variant_save(
        variant=variant, subject=subject, body_html=body_html(copy.body), weight=variant.weight or 1
    )
    return variant.pk


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_write(request, pk: int):
    """Write a step's subject lines and body from a brief; or the next follow-up."""
    campaign = get_for_workspace_or_404(Campaign, request.workspace, pk=pk)
    back = reverse("campaign_sequence", args=[campaign.pk])
    if not campaign.editable:
        messages.error(request, _("A running campaign's sequence cannot change; pause it first."))
        return redirect(back)
    follow_up = request.POST.get("action") == "follow_up"
    form = BriefForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    if not data or not follow_up and not (data["offer"].strip() and data["audience"].strip()):
        messages.error(request, _("Describe what you offer and to whom, then try again."))
        return redirect(back)
    if follow_up and not data["offer"].strip():
        # From the previous steps alone: they say what is offered and to whom.
        data = {
            **data,
            "offer": _("(as in the previous emails)"),
            "audience": _("(as in the previous emails)"),
        }
    brief = Brief(
        offer=data["offer"],
        audience=data["audience"],
        tone=data["tone"],
        length=data["length"],
        language=data["language"],
        call_to_action=data["call_to_action"],
    )
    steps = list(campaign.steps.prefetch_related("variants"))
    previous = None
    if follow_up:
        previous = [v.body_text for s in steps for v in list(s.variants.all())[:1] if v.body_text]
    try:
        copy, provider = copy_write(workspace=request.workspace, brief=brief, previous=previous)
    except ProviderError as exc:
        messages.error(request, _("The AI could not write this: %(why)s") % {"why": exc})
        return redirect(back)
    subject = "" if follow_up else spun_subject(copy.subjects)
    problem = _checked(copy, subject, campaign)
    if problem:
        messages.error(request, problem)
        return redirect(back)
    if follow_up:
        step = authoring.step_add(campaign=campaign)
    else:
        step = next((s for s in steps if s.pk == data["step"]), steps[0] if steps else None)
        step = step or authoring.step_add(campaign=campaign)
    variant_pk = _store(step, subject, copy)
    messages.success(
        request,
        _("Written by %(provider)s: check it and make it yours.")
        % {"provider": provider.capitalize()},
    )
    return redirect(f"{back}#variant-{variant_pk}")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_check(request, pk: int):
    """“Check content”: the launch-time content check, run now, without holding anything."""
    from campaigns.authoring.coverage import campaign_variants

    campaign = get_for_workspace_or_404(Campaign, request.workspace, pk=pk)
    blocked, provider = [], "local"
    for subject, body in campaign_variants(campaign):
        verdict = content_check(subject=subject, body=body, workspace=campaign.workspace)
        provider = verdict.provider
        if verdict.blocked:
            blocked.append((subject, verdict))
    back = reverse("campaign_sequence", args=[campaign.pk])
    if not blocked:
        messages.success(
            request,
            _("Content check passed (checked by %(provider)s): nothing would be held at launch.")
            % {"provider": provider},
        )
        return redirect(back)
    subject, verdict = blocked[0]
    messages.error(
        request,
        _(
            "Launching now would hold this campaign for review: “%(subject)s” "
            "looks like %(categories)s. %(why)s"
        )
        % {
            "subject": subject[:60] or _("(no subject)"),
            "categories": ", ".join(c.replace("_", " ") for c in verdict.categories),
            "why": verdict.reason,
        },
    )
    return redirect(back)
