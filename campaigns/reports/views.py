"""Reports: a campaign's report and its people (list, CSV export, continuing interrupted leads),
and the workspace's Reports page across campaigns (with its CSV export)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.authoring.views import campaign_for, wizard_steps
from campaigns.leads.bulk import bulk_context
from campaigns.lifecycle import enrollments_continue
from campaigns.models import Campaign, OutboundMessage
from campaigns.reports import across, numbers, people
from campaigns.reports.forms import report_filter
from campaigns.stats import today
from core.csv_export import csv_response
from core.tenancy import as_id
from smtp_accounts.log_views import render_log
from smtp_accounts.models import SendLog


@login_required
@require_GET
def reports(request):
    """Every campaign of the workspace over a date range, by campaign, mailbox or day."""
    form, period, by = report_filter(request.GET, today())
    report = across.workspace_report(workspace=request.workspace, period=period, by=by)
    query = urlencode({"start": period.start, "end": period.end, "by": by})
    return render(
        request,
        "campaigns/reports.html",
        {
            "form": form,
            "report": report,
            "figures": across.FIGURES,
            "groupings": [(key, label, key == by) for key, label in across.GROUPINGS.items()],
            "period": period,
            "query": query,
            "has_any": across.has_any(report),
        },
    )


@login_required
@require_GET
def reports_export(request):
    """What the Reports page shows, as CSV: one line per row, then the totals."""
    form, period, by = report_filter(request.GET, today())
    report = across.workspace_report(workspace=request.workspace, period=period, by=by)
    filename = f"postigo-report-by-{by}-{period.start}-{period.end}.csv"
    return csv_response(filename, across.csv_header(by), across.csv_rows(report))


@login_required
@require_GET
def campaign_report(request, pk: int):
    campaign = campaign_for(request, pk)
    return render(
        request,
        "campaigns/campaign_report.html",
        {
            "campaign": campaign,
            "report": numbers.campaign_report(campaign),
            "wizard": wizard_steps(campaign, ""),
        },
    )


# --- delivery log ---------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_log(request, pk: int):
    """Every SMTP attempt for this campaign's messages, with each message's state now."""
    campaign = campaign_for(request, pk)
    messages_of = OutboundMessage.objects.filter(enrollment__campaign=campaign).exclude(
        message_id=""
    )
    state_now = messages_of.filter(message_id=OuterRef("message_id")).values("state")[:1]
    logs = (
        SendLog.objects.for_workspace(request.workspace)
        .filter(message_id__in=messages_of.values("message_id"))
        .annotate(state_now=Subquery(state_now))
    )
    return render_log(
        request,
        logs,
        template_context={
            "title": campaign.name,
            "campaign": campaign,
            "wizard": wizard_steps(campaign, ""),
            "back_url": reverse("campaign_report", args=[campaign.pk]),
            "log_url": reverse("campaign_log", args=[campaign.pk]),
            "show_mailbox": True,
            "states": dict(OutboundMessage.State.choices),
        },
    )


# --- people ---------------------------------------------------------------------------------------

PEOPLE_PAGE = 50


@login_required
@require_GET
def campaign_people(request, pk: int):
    campaign = campaign_for(request, pk)
    status, q = _people_filter(request)
    found = people.campaign_people(campaign, status=status, q=q)
    page = Paginator(found, PEOPLE_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    people.people_progress(page.object_list)
    people.people_next_sends(campaign, page.object_list, now=timezone.now())
    counts = people.people_counts(campaign)
    context = {
        "campaign": campaign,
        "wizard": wizard_steps(campaign, ""),
        "page": page,
        "filters": [(key, label, counts[key]) for key, label in people.FILTERS],
        "status": status,
        "q": q,
        "query": urlencode({"status": status, "q": q}),
        "steps": campaign.steps.count(),
        "interrupted": counts["interrupted"],
        "can_continue": campaign.status in (Campaign.Status.RUNNING, Campaign.Status.PAUSED),
        **bulk_context(request.workspace),
        "matching": page.paginator.count,
        "filter_query": urlencode({"status": status, "q": q}),
    }
    template = "campaigns/campaign_people.html"
    return render(request, template + "#results" if request.htmx else template, context)


def _people_filter(request) -> tuple[str, str]:
    status = request.GET.get("status", "")
    return (status if status in dict(people.FILTERS) else ""), request.GET.get("q", "")[:100]


@login_required
@require_GET
@allowed_to(Action.LEAD_EXPORT, methods=None)
def campaign_people_export(request, pk: int):
    """Everyone the People page shows under its filter and search, as CSV."""
    campaign = campaign_for(request, pk)
    status, q = _people_filter(request)
    rows = people.people_rows(campaign, status=status, q=q)
    filename = f"campaign-{campaign.pk}-people{'-' + status if status else ''}.csv"
    return csv_response(filename, people.EXPORT_HEADER, rows)


@login_required
@require_POST
@allowed_to(Action.CAMPAIGN_RUN)
def campaign_people_continue(request, pk: int):
    campaign = campaign_for(request, pk)
    if request.POST.get("all"):
        chosen = people.campaign_people(campaign, status="interrupted").values_list("pk", flat=True)
    else:
        values = request.POST.getlist("enrollment")
        chosen = [pk for pk in map(as_id, values) if pk is not None][:PEOPLE_PAGE]
    going_on = enrollments_continue(campaign=campaign, enrollment_ids=list(chosen))
    if going_on:
        messages.success(
            request,
            ngettext(
                "%(n)s lead goes on with the sequence; the next step is scheduled.",
                "%(n)s leads go on with their sequence; their next steps are scheduled.",
                going_on,
            )
            % {"n": going_on},
        )
    else:
        messages.info(
            request,
            _(
                "Nobody was continued: the leads chosen have replied, bounced or unsubscribed "
                "since, or the campaign is no longer running."
            ),
        )
    return redirect(f"{reverse('campaign_people', args=[campaign.pk])}?status=interrupted")
