"""Launching, pausing, resuming and stopping a campaign from its pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.permissions import Action, allowed_to, can, forbidden
from campaigns.authoring.views import campaign_for
from campaigns.models import Campaign, Enrollment
from campaigns.sending.launch import (
    LaunchError,
    campaign_enroll,
    campaign_launch,
    campaign_pause,
    campaign_stop,
)


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_RUN)
def campaign_control(request, pk: int):
    campaign = campaign_for(request, pk)
    action = request.POST.get("action")
    if action == "stop" and not can(request.membership, Action.CAMPAIGN_STOP):
        return forbidden(request, Action.CAMPAIGN_STOP)
    if action in ("launch", "resume"):
        resuming = campaign.status == Campaign.Status.PAUSED
        try:
            enrolled = campaign_launch(campaign=campaign)
        except LaunchError as exc:
            messages.error(request, str(exc))
            return redirect("campaign_review", pk=campaign.pk)
        messages.success(request, _launched_message(campaign, resuming, enrolled))
    elif action == "enroll" and campaign.status == Campaign.Status.RUNNING:
        added = campaign_enroll(campaign=campaign)
        messages.success(request, _("%(n)s new leads enrolled.") % {"n": added})
    elif action == "pause":
        campaign_pause(campaign=campaign)
        messages.info(request, _("Paused. Nothing new goes out until you resume."))
    elif action == "stop":
        campaign_stop(campaign=campaign)
        messages.info(request, _("Stopped. No lead receives anything more from this campaign."))
    return redirect("campaign_report", pk=campaign.pk)


def _launched_message(campaign, resuming: bool, enrolled: int) -> str:
    """A launch counts the leads enrolled; a resume, those going on with their sequence (the
    leads enrolled before the pause), and any new ones the lists gained meanwhile."""
    if not resuming:
        return ngettext(
            "%(name)s is running: %(n)s lead enrolled.",
            "%(name)s is running: %(n)s leads enrolled.",
            enrolled,
        ) % {"name": campaign.name, "n": enrolled}
    going_on = (
        Enrollment.objects.filter(campaign=campaign, status=Enrollment.Status.ACTIVE).count()
        - enrolled
    )
    text = ngettext(
        "%(name)s resumed: %(n)s lead goes on with the sequence.",
        "%(name)s resumed: %(n)s leads go on with their sequence.",
        going_on,
    ) % {"name": campaign.name, "n": going_on}
    if enrolled:
        text += " " + ngettext(
            "%(n)s new lead enrolled.", "%(n)s new leads enrolled.", enrolled
        ) % {"n": enrolled}
    return text
