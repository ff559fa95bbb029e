"""Sequence templates: the list (the workspace's own and the starters), start a campaign from
one, save a campaign's sequence as one, rename and delete. Another workspace's template is a
404; every change needs the right to edit campaigns."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.authoring.sequence_templates import (
    campaign_create_started_from,
    sequence_template_delete,
    sequence_template_rename,
    sequence_template_save,
)
from campaigns.authoring.services import AuthoringError
from campaigns.authoring.starters import STARTERS
from campaigns.models import Campaign, SequenceTemplate
from core.tenancy import get_for_workspace_or_404


class TemplateNameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)


def _template_for(request, pk: int) -> SequenceTemplate:
    return get_for_workspace_or_404(SequenceTemplate.objects.all(), request.workspace, pk=pk)


@login_required
@require_GET
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_template_list(request):
    templates = SequenceTemplate.objects.for_workspace(request.workspace).select_related(
        "created_by"
    )
    starters = [
        {"slug": slug, "name": s["name"], "description": s["description"], "steps": s["steps"]}
        for slug, s in STARTERS.items()
    ]
    return render(
        request,
        "campaigns/sequence_templates.html",
        {"templates": templates, "starters": starters},
    )


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_template_use(request):
    """Start a draft campaign from a starter or one of the workspace's templates."""
    start_from = request.POST.get("start_from", "")
    if start_from.startswith("template:"):
        ref = start_from.partition(":")[2]
        if not ref.isdigit():
            return _refuse(request, _("Choose Blank or one of the templates."))
        template = _template_for(request, int(ref))  # another workspace's: 404
        name = request.POST.get("name") or template.name
    else:
        starter = STARTERS.get(start_from.partition(":")[2], {})
        name = request.POST.get("name") or str(starter.get("name", ""))
    try:
        campaign = campaign_create_started_from(
            workspace=request.workspace, name=name, start_from=start_from
        )
    except AuthoringError as exc:
        return _refuse(request, str(exc))
    messages.success(request, _("“%(name)s” is ready: choose its leads.") % {"name": campaign.name})
    return redirect("campaign_leads", pk=campaign.pk)


def _refuse(request, message: str):
    messages.error(request, message)
    return redirect("sequence_template_list")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_save_as_template(request, pk: int):
    campaign = get_for_workspace_or_404(Campaign.objects.all(), request.workspace, pk=pk)
    form = TemplateNameForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else campaign.name
    template = sequence_template_save(campaign=campaign, name=name, user=request.user)
    messages.success(
        request,
        _("The sequence of “%(campaign)s” is saved as the template “%(name)s”.")
        % {"campaign": campaign.name, "name": template.name},
    )
    return redirect("sequence_template_list")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_template_rename_view(request, pk: int):
    template = _template_for(request, pk)
    form = TemplateNameForm(request.POST)
    if not form.is_valid():
        return _refuse(request, _("Give the template a name."))
    sequence_template_rename(template=template, name=form.cleaned_data["name"])
    messages.success(request, _("Renamed to “%(name)s”.") % {"name": template.name})
    return redirect("sequence_template_list")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def sequence_template_delete_view(request, pk: int):
    template = _template_for(request, pk)
    sequence_template_delete(template=template)
    messages.success(
        request,
        _("Template “%(name)s” deleted. Campaigns started from it keep their sequence.")
        % {"name": template.name},
    )
    return redirect("sequence_template_list")
