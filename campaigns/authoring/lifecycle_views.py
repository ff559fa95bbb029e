"""A campaign's life outside its run: archive, unarchive, delete a draft, and the confirmations
before removing a step or a variant (core/confirm.py says how a confirmation works)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.authoring import services as authoring
from campaigns.authoring.views import campaign_for
from campaigns.models import OutboundMessage, Step, Variant
from core.confirm import Confirmation, confirm_response, is_confirmed
from core.tenancy import get_for_workspace_or_404


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_archive(request, pk: int):
    campaign = campaign_for(request, pk)
    try:
        authoring.campaign_archive(campaign=campaign, request=request)
    except authoring.AuthoringError as exc:
        messages.error(request, str(exc))
        return redirect("campaign_list")
    messages.success(
        request,
        _("“%(name)s” archived. Its numbers are kept; find it under Archived.")
        % {"name": campaign.name},
    )
    return redirect("campaign_list")


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_EDIT)
def campaign_unarchive(request, pk: int):
    campaign = campaign_for(request, pk)
    authoring.campaign_unarchive(campaign=campaign, request=request)
    messages.success(request, _("“%(name)s” is back in the list.") % {"name": campaign.name})
    return redirect("campaign_list")


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.CAMPAIGN_DELETE, methods=None)
def campaign_delete(request, pk: int):
    campaign = campaign_for(request, pk)
    if not campaign.can_delete:
        messages.error(
            request, _("Only drafts can be deleted. Stop this campaign, then archive it.")
        )
        return redirect("campaign_list")
    if not is_confirmed(request):
        steps = campaign.steps.count()
        variants = Variant.objects.filter(step__campaign=campaign).count()
        return confirm_response(
            request,
            Confirmation(
                title=_("Delete the draft “%(name)s”?") % {"name": campaign.name},
                consequences=[
                    ngettext(
                        "Its %(n)s step and %(v)s email version are deleted.",
                        "Its %(n)s steps and %(v)s email versions are deleted.",
                        steps,
                    )
                    % {"n": steps, "v": variants},
                    _("Its leads and lists stay: only the campaign goes."),
                ],
                action_url=reverse("campaign_delete", args=[campaign.pk]),
                confirm_label=_("Delete draft"),
                cancel_url=reverse("campaign_list"),
                note=_("This cannot be undone."),
            ),
        )
    try:
        authoring.campaign_delete(campaign=campaign, request=request)
    except authoring.AuthoringError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Draft “%(name)s” deleted.") % {"name": campaign.name})
    return redirect("campaign_list")


@login_required
@require_GET
@allowed_to(Action.CAMPAIGN_EDIT, methods=None)
def step_remove_confirm(request, pk: int, step_pk: int):
    campaign = campaign_for(request, pk)
    step = get_for_workspace_or_404(Step, request.workspace, pk=step_pk, campaign=campaign)
    variants = step.variants.count()
    sent = OutboundMessage.objects.filter(step=step).count()
    consequences = [
        ngettext(
            "Step %(position)s and its %(n)s email version are removed.",
            "Step %(position)s and its %(n)s email versions are removed.",
            variants,
        )
        % {"position": step.position, "n": variants},
        _("The steps after it move up one place."),
    ]
    if sent:
        consequences.append(
            ngettext(
                "%(n)s email already sent for this step leaves the reports.",
                "%(n)s emails already sent for this step leave the reports.",
                sent,
            )
            % {"n": sent}
        )
    return confirm_response(
        request,
        Confirmation(
            title=_("Remove step %(position)s?") % {"position": step.position},
            consequences=consequences,
            action_url=reverse("sequence_change", args=[campaign.pk]),
            fields={"action": "remove_step", "target": str(step.pk)},
            confirm_label=_("Remove step"),
            cancel_url=reverse("campaign_sequence", args=[campaign.pk]),
            note=_("This cannot be undone."),
        ),
    )


@login_required
@require_GET
@allowed_to(Action.CAMPAIGN_EDIT, methods=None)
def variant_remove_confirm(request, pk: int, variant_pk: int):
    campaign = campaign_for(request, pk)
    variant = get_for_workspace_or_404(
        Variant, request.workspace, pk=variant_pk, step__campaign=campaign
    )
    others = list(variant.step.variants.exclude(pk=variant.pk).values_list("label", flat=True))
    sent = OutboundMessage.objects.filter(variant=variant).count()
    consequences = [
        _("Version %(label)s of step %(position)s and its text are removed.")
        % {"label": variant.label, "position": variant.step.position},
        _("From now on the step sends %(labels)s.") % {"labels": ", ".join(others)},
    ]
    if sent:
        consequences.append(
            ngettext(
                "%(n)s email already sent as this version stays counted in the step, "
                "no longer under its letter.",
                "%(n)s emails already sent as this version stay counted in the step, "
                "no longer under its letter.",
                sent,
            )
            % {"n": sent}
        )
    return confirm_response(
        request,
        Confirmation(
            title=_("Remove version %(label)s?") % {"label": variant.label},
            consequences=consequences,
            action_url=reverse("sequence_change", args=[campaign.pk]),
            fields={"action": "remove_variant", "target": str(variant.pk)},
            confirm_label=_("Remove version"),
            cancel_url=reverse("campaign_sequence", args=[campaign.pk]),
            note=_("This cannot be undone."),
        ),
    )
