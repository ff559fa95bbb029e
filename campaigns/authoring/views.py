"""The campaign builder: leads → sequence → schedule → mailboxes → review, autosaved over htmx."""

from __future__ import annotations

import random

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from ai.services import provider_name_for
from campaigns.authoring import content, rendering
from campaigns.authoring import services as authoring
from campaigns.authoring.ai_writing import BriefForm
from campaigns.authoring.forms import (
    CampaignLeadsForm,
    CampaignMailboxesForm,
    CampaignNameForm,
    CampaignScheduleForm,
    StepForm,
    VariantForm,
)
from campaigns.authoring.sequence_templates import campaign_create_started_from
from campaigns.authoring.templating import TemplateError
from campaigns.models import STANDARD_FIELDS, Campaign, Lead, Step, Variant
from campaigns.sending.launch import (
    enrolled_leads,
    launch_problems,
)
from core.tenancy import as_id, get_for_workspace_or_404
from smtp_accounts.models import Mailbox

WIZARD = [
    ("campaign_leads", gettext_lazy("Leads")),
    ("campaign_sequence", gettext_lazy("Sequence")),
    ("campaign_schedule", gettext_lazy("Schedule")),
    ("campaign_mailboxes", gettext_lazy("Mailboxes")),
    ("campaign_review", gettext_lazy("Review")),
]


def campaign_for(request, pk: int) -> Campaign:
    """The campaign `pk` of the current workspace; another workspace's is a 404."""
    return get_for_workspace_or_404(Campaign, request.workspace, pk=pk)


def wizard_steps(campaign: Campaign, current: str) -> list[dict]:
    """The builder's steps, for the wizard bar every campaign page shows."""
    return [
        {"url": reverse(name, args=[campaign.pk]), "label": label, "current": name == current}
        for name, label in WIZARD
    ]


def _next(current: str) -> str:
    names = [name for name, _label in WIZARD]
    return names[min(names.index(current) + 1, len(names) - 1)]


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_list(request):
    form = CampaignNameForm(request.POST or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create_started_from(
                workspace=request.workspace,
                name=form.cleaned_data["name"],
                start_from=form.cleaned_data["start_from"],
            )
        except authoring.AuthoringError as exc:
            form.add_error("start_from", str(exc))
        else:
            return redirect("campaign_leads", pk=campaign.pk)
    campaigns = (
        Campaign.objects.for_workspace(request.workspace)
        .exclude(status=Campaign.Status.ARCHIVED)
        .annotate(step_count=Count("steps", distinct=True))
        .prefetch_related("lead_lists")
    )
    return render(request, "campaigns/campaign_list.html", {"campaigns": campaigns, "form": form})


def _form_page(request, pk: int, name: str, form_class, template: str):
    """A wizard page whose one form autosaves (htmx) or saves and moves on (plain POST)."""
    campaign = campaign_for(request, pk)
    form = form_class(request.POST or None, instance=campaign)
    saved = None  # opened: what is shown is what is stored, nothing to report
    if request.method == "POST":
        saved = campaign.editable and form.is_valid()
        if saved:
            form.save()
            if not request.htmx:
                return redirect(_next(name), pk=campaign.pk)
    context = {
        "campaign": campaign,
        "form": form,
        "wizard": wizard_steps(campaign, name),
        "saved": saved,
    }
    if request.htmx and request.method == "POST":
        return render(request, template + "#form", context, status=200 if form.is_valid() else 400)
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_leads(request, pk: int):
    return _form_page(
        request, pk, "campaign_leads", CampaignLeadsForm, "campaigns/wizard_leads.html"
    )


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_schedule(request, pk: int):
    return _form_page(
        request, pk, "campaign_schedule", CampaignScheduleForm, "campaigns/wizard_schedule.html"
    )


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_mailboxes(request, pk: int):
    return _form_page(
        request, pk, "campaign_mailboxes", CampaignMailboxesForm, "campaigns/wizard_mailboxes.html"
    )


# --- sequence ------------------------------------------------------------------------------------


def _variant_context(variant: Variant) -> dict:
    campaign = variant.step.campaign
    error = None
    try:
        rendering.parse_variant(variant)
    except TemplateError as exc:
        error = str(exc)
    return {
        "variant": variant,
        "safe_body": content.sanitize_html(variant.body_html),
        "form": VariantForm(
            initial={
                "subject": variant.subject,
                "body_html": variant.body_html,
                "weight": variant.weight,
            }
        ),
        "error": error,
        "warnings": content.warnings(
            variant.subject, variant.body_html, has_footer=bool(campaign.unsubscribe_footer.strip())
        ),
        "subject_placeholder": rendering.subject_source(variant) if not variant.subject else "",
    }


def _merge_fields(campaign: Campaign) -> list[str]:
    custom = set()
    for values in Lead.objects.for_workspace(campaign.workspace).values_list("custom", flat=True)[
        :2000
    ]:
        custom.update(values or {})
    return (
        [f for f in STANDARD_FIELDS if f != "timezone"]
        + sorted(custom)
        + [
            "sender_first_name",
            "signature",
            "unsubscribe_url",
        ]
    )


@login_required
@require_GET
def campaign_sequence(request, pk: int):
    campaign = campaign_for(request, pk)
    steps = [
        {
            "step": step,
            "form": StepForm(instance=step, prefix=f"step{step.pk}"),
            "variants": [_variant_context(v) for v in step.variants.all()],
        }
        for step in campaign.steps.prefetch_related("variants")
    ]
    return render(
        request,
        "campaigns/wizard_sequence.html",
        {
            "campaign": campaign,
            "steps": steps,
            "wizard": wizard_steps(campaign, "campaign_sequence"),
            "fields": _merge_fields(campaign),
            "brief_form": BriefForm(),
            "ai_provider": provider_name_for(campaign.workspace),
        },
    )


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def variant_update(request, pk: int, variant_pk: int):
    campaign = campaign_for(request, pk)
    variant = get_for_workspace_or_404(
        Variant.objects.select_related("step__campaign"),
        request.workspace,
        pk=variant_pk,
        step__campaign=campaign,
    )
    form = VariantForm(request.POST)
    if campaign.editable and form.is_valid():
        authoring.variant_save(
            variant=variant,
            subject=form.cleaned_data["subject"],
            body_html=form.cleaned_data["body_html"],
            weight=form.cleaned_data["weight"] if form.cleaned_data["weight"] is not None else 1,
        )
    if request.htmx:
        context = _variant_context(variant) | {"saved": form.is_valid(), "autosave": True}
        return render(request, "campaigns/wizard_sequence.html#variant-status", context)
    return redirect(reverse("campaign_sequence", args=[campaign.pk]) + f"#variant-{variant.pk}")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def step_update(request, pk: int, step_pk: int):
    campaign = campaign_for(request, pk)
    step = get_for_workspace_or_404(Step, request.workspace, pk=step_pk, campaign=campaign)
    form = StepForm(request.POST, instance=step, prefix=f"step{step.pk}")
    if campaign.editable and form.is_valid():
        form.save()
    if request.htmx:
        return render(request, "campaigns/_saved.html", {"saved": form.is_valid(), "form": form})
    return redirect("campaign_sequence", pk=campaign.pk)


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_change(request, pk: int):
    """Add or remove a step or a variant (whole-page actions)."""
    campaign = campaign_for(request, pk)
    if not campaign.editable:
        messages.error(request, _("A running campaign's sequence cannot change; pause it first."))
        return redirect("campaign_sequence", pk=campaign.pk)
    action, target = request.POST.get("action", ""), request.POST.get("target", "")
    anchor = ""
    try:
        if action == "add_step":
            step = authoring.step_add(campaign=campaign)
            anchor = f"#step-{step.pk}"
        elif action in ("remove_step", "add_variant"):
            step = get_for_workspace_or_404(Step, request.workspace, pk=target, campaign=campaign)
            if action == "remove_step":
                authoring.step_remove(step=step)
            else:
                anchor = f"#variant-{authoring.variant_add(step=step).pk}"
        elif action == "remove_variant":
            variant = get_for_workspace_or_404(
                Variant, request.workspace, pk=target, step__campaign=campaign
            )
            authoring.variant_remove(variant=variant)
    except authoring.AuthoringError as exc:
        messages.error(request, str(exc))
    return redirect(reverse("campaign_sequence", args=[campaign.pk]) + anchor)


# --- review, preview, duplicate -------------------------------------------------------------------


@login_required
@require_GET
def campaign_review(request, pk: int):
    campaign = campaign_for(request, pk)
    leads = enrolled_leads(campaign).count()
    return render(
        request,
        "campaigns/wizard_review.html",
        {
            "campaign": campaign,
            "wizard": wizard_steps(campaign, "campaign_review"),
            "problems": launch_problems(campaign),
            "leads": leads,
            "steps": campaign.steps.annotate(variant_count=Count("variants")),
            "mailboxes": campaign.mailboxes.all(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_preview(request, pk: int):
    campaign = campaign_for(request, pk)
    variants = list(
        Variant.objects.filter(step__campaign=campaign)
        .select_related("step")
        .order_by("step__position", "label")
    )
    chosen = next(
        (v for v in variants if str(v.pk) == request.GET.get("variant")),
        variants[0] if variants else None,
    )
    candidates = list(enrolled_leads(campaign).order_by("pk")[:200]) or list(
        Lead.objects.for_workspace(request.workspace).order_by("pk")[:200]
    )
    lead_param = request.GET.get("lead", "")
    if lead_param == "random" and candidates:
        lead = random.choice(candidates)  # noqa: S311 - picking a preview, not a secret
    else:
        lead = next(
            (c for c in candidates if str(c.pk) == lead_param),
            candidates[0] if candidates else None,
        )
    mailboxes = Mailbox.objects.for_workspace(request.workspace).filter(status="active")
    result = error = None
    if request.method == "POST" and chosen is not None:
        mailbox = mailboxes.filter(pk=as_id(request.POST.get("mailbox"))).first()
        if mailbox is None:
            error = _("Choose an active mailbox to send the test from.")
        else:
            try:
                result = authoring.variant_send_test(
                    variant=chosen, lead=lead, mailbox=mailbox, to=request.user.email
                )
            except TemplateError as exc:
                error = str(exc)
    shown = None
    if chosen is not None and error is None:
        try:
            shown = rendering.variant_preview(
                variant=chosen, lead=lead, seed=request.GET.get("seed", 0), n=3
            )
        except TemplateError as exc:
            error = str(exc)
    if shown is not None:
        shown.html = content.safe_preview(shown.html)
        shown.variations = [(s, content.safe_preview(b)) for s, b in shown.variations]
    return render(
        request,
        "campaigns/campaign_preview.html",
        {
            "campaign": campaign,
            "variants": variants,
            "chosen": chosen,
            "candidates": candidates,
            "lead": lead,
            "shown": shown,
            "error": error,
            "result": result,
            "mailboxes": mailboxes,
            "wizard": wizard_steps(campaign, "campaign_preview"),
        },
        status=400 if error and request.method == "POST" else 200,
    )


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_duplicate(request, pk: int):
    copy = authoring.campaign_duplicate(campaign=campaign_for(request, pk))
    messages.success(request, _("Duplicated as “%(name)s”.") % {"name": copy.name})
    return redirect("campaign_leads", pk=copy.pk)
