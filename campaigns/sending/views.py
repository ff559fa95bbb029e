"""Launching, pausing, resuming and stopping a campaign from its pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_to, can, forbidden
from campaigns.authoring.views import campaign_for
from campaigns.models import Campaign, Enrollment, OutboundMessage
from campaigns.sending.launch import (
    LaunchError,
    campaign_enroll,
    campaign_launch,
    campaign_pause,
    campaign_stop,
    enrolled_leads,
)
from core.confirm import Confirmation, confirm_response


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


@login_required
@require_GET
@allowed_to(Action.CAMPAIGN_RUN, methods=None)
def campaign_control_confirm(request, pk: int, action: str):
    """Before launching, resuming or stopping: what will happen, in numbers."""
    campaign = campaign_for(request, pk)
    if action == "stop" and not can(request.membership, Action.CAMPAIGN_STOP):
        return forbidden(request, Action.CAMPAIGN_STOP)
    builders = {"launch": _launch_confirmation, "resume": _launch_confirmation}
    builders["stop"] = _stop_confirmation
    if action not in builders:
        raise Http404
    return confirm_response(request, builders[action](campaign))


def _stop_confirmation(campaign: Campaign) -> Confirmation:
    active = Enrollment.objects.filter(campaign=campaign).active().count()
    queued = OutboundMessage.objects.filter(enrollment__campaign=campaign).queued().count()
    return Confirmation(
        title=_("Stop “%(name)s” for good?") % {"name": campaign.name},
        consequences=[
            ngettext(
                "Stops %(n)s lead's sequence: no further email or follow-up goes to them.",
                "Stops %(n)s leads' sequences: no further email or follow-up goes to them.",
                active,
            )
            % {"n": number_format(active, force_grouping=True)},
            ngettext(
                "%(n)s queued message is removed before it is sent.",
                "%(n)s queued messages are removed before they are sent.",
                queued,
            )
            % {"n": number_format(queued, force_grouping=True)},
            _("Replies still arrive in the inbox, and the report keeps every number."),
        ],
        action_url=reverse("campaign_control", args=[campaign.pk]),
        fields={"action": "stop"},
        confirm_label=_("Stop campaign"),
        cancel_url=reverse("campaign_report", args=[campaign.pk]),
        note=_("This cannot be undone: a stopped campaign cannot be resumed (pause it instead)."),
    )


def _launch_confirmation(campaign: Campaign) -> Confirmation:
    resuming = campaign.status == Campaign.Status.PAUSED
    mailboxes = campaign.mailboxes.filter(status="active").count()
    if resuming:
        going_on = Enrollment.objects.filter(campaign=campaign).active().count()
        title = _("Resume “%(name)s”?") % {"name": campaign.name}
        first = ngettext(
            "%(n)s lead goes on with the sequence where it paused.",
            "%(n)s leads go on with their sequence where it paused.",
            going_on,
        ) % {"n": number_format(going_on, force_grouping=True)}
    else:
        leads = enrolled_leads(campaign).count()
        title = _("Launch “%(name)s”?") % {"name": campaign.name}
        first = ngettext(
            "%(n)s lead of its lists is enrolled (suppressed addresses are left out).",
            "Up to %(n)s leads of its lists are enrolled (suppressed addresses are left out).",
            leads,
        ) % {"n": number_format(leads, force_grouping=True)}
    return Confirmation(
        title=title,
        consequences=[
            first,
            ngettext(
                "Emails go out from %(n)s mailbox, within the schedule's days and hours "
                "(time zone %(tz)s), at most %(cap)s new leads a day.",
                "Emails go out from %(n)s mailboxes, within the schedule's days and hours "
                "(time zone %(tz)s), at most %(cap)s new leads a day.",
                mailboxes,
            )
            % {"n": mailboxes, "tz": campaign.timezone, "cap": campaign.daily_cap},
            _("Each email sent uses one credit of the workspace's balance."),
        ],
        action_url=reverse("campaign_control", args=[campaign.pk]),
        fields={"action": "resume" if resuming else "launch"},
        confirm_label=_("Resume now") if resuming else _("Launch now"),
        cancel_url=reverse("campaign_review", args=[campaign.pk]),
        danger=False,
        note=_("You can pause it at any time."),
    )
