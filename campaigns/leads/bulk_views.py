"""The Leads page's bulk actions: a form posts the ticked rows (or "all N matching the filter")
and an action; the first POST answers with a confirmation (core/confirm.py), the confirmed one
acts through campaigns/leads/bulk.py and says what it did, with counts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import Action, allowed_to, can, forbidden
from campaigns.leads import bulk
from campaigns.leads.forms import LeadFilterForm
from campaigns.models import Campaign, Lead, LeadList
from campaigns.reports import people
from campaigns.sending.launch import campaign_add_leads
from core.confirm import Confirmation, confirm_response, is_confirmed
from core.tenancy import get_for_workspace_or_404

ACTIONS = {
    "delete": Action.LEAD_DELETE,
    "suppress": Action.SUPPRESSION_ADD,
    "tag": Action.LEAD_EDIT,
    "add_to_list": Action.LEAD_EDIT,
    "add_to_campaign": Action.CAMPAIGN_EDIT,
}
MAX_IDS = 1000  # a page holds 50; "all matching" carries the filter, not the ids


def selected_leads(request):
    """The chosen leads of this workspace: every one matching the carried filter (the Leads
    page's, or a campaign's People page's), or the ticked ids."""
    leads = Lead.objects.for_workspace(request.workspace)
    campaign = _people_campaign(request)
    if request.POST.get("all_matching") == "1" and campaign is not None:
        query = QueryDict(request.POST.get("filter", ""))
        status = query.get("status", "")
        found = people.campaign_people(
            campaign,
            status=status if status in dict(people.FILTERS) else "",
            q=query.get("q", "")[:100],
        )
        return leads.filter(pk__in=found.values("lead_id"))
    if request.POST.get("all_matching") == "1":
        from campaigns.leads.views import filtered_leads

        query = QueryDict(request.POST.get("filter", ""))
        return filtered_leads(leads, LeadFilterForm(query or None, workspace=request.workspace))
    ids = [v for v in request.POST.getlist("ids")[:MAX_IDS] if v.isdigit()]
    return leads.filter(pk__in=ids)


def _back(request, url: str):
    """Back to the Leads page (from the dialog's htmx request: the whole page, not the dialog)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _people_campaign(request) -> Campaign | None:
    pk = request.POST.get("people_campaign", "")
    if not pk.isdigit():
        return None
    return get_for_workspace_or_404(Campaign, request.workspace, pk=pk)


def _back_url(request) -> str:
    """Where the action came from: the Leads page or a campaign's People page, filter kept."""
    query = request.POST.get("filter", "")
    campaign = _people_campaign(request)
    url = reverse("campaign_people", args=[campaign.pk]) if campaign else reverse("lead_list")
    return url + _query_suffix(query)


@login_required
@require_POST
@allowed_to(Action.LEAD_EDIT)  # the least any bulk action needs; each is checked below
def lead_bulk(request):
    action = request.POST.get("action", "")
    back = _back_url(request)
    if action not in ACTIONS:
        messages.error(request, _("Choose what to do with the selected leads."))
        return _back(request, back)
    if not can(request.membership, ACTIONS[action]):
        return forbidden(request, ACTIONS[action])
    try:
        target = _target(request, action)
    except ValueError as exc:
        messages.error(request, str(exc))
        return _back(request, back)
    leads = selected_leads(request)
    count = leads.count()
    if not count:
        messages.error(request, _("Select at least one lead first."))
        return _back(request, back)
    if not is_confirmed(request):
        return confirm_response(request, _confirmation(request, action, leads, count, target, back))
    messages.success(request, _act(request, action, leads, target))
    return redirect(back)


def _query_suffix(query: str) -> str:
    return f"?{query}" if query else ""


def _target(request, action: str):
    """The list, campaign or tag an action needs, checked before anything is asked."""
    if action == "add_to_list":
        pk = request.POST.get("bulk_list", "")
        if not pk.isdigit():
            raise ValueError(_("Choose a list to add the leads to."))
        return get_for_workspace_or_404(LeadList, request.workspace, pk=pk)
    if action == "add_to_campaign":
        pk = request.POST.get("bulk_campaign", "")
        if not pk.isdigit():
            raise ValueError(_("Choose a campaign to add the leads to."))
        campaign = get_for_workspace_or_404(Campaign, request.workspace, pk=pk)
        if campaign.status not in (
            Campaign.Status.DRAFT,
            Campaign.Status.RUNNING,
            Campaign.Status.PAUSED,
        ):
            raise ValueError(_("A stopped campaign takes no new leads."))
        return campaign
    if action == "tag":
        tag = request.POST.get("bulk_tag", "").strip()
        if not tag or len(tag) > 50:
            raise ValueError(_("Type a tag of at most 50 characters."))
        return tag
    return None


def _confirmation(request, action, leads, count, target, back) -> Confirmation:
    fields = {
        key: request.POST.getlist(key)
        for key in (
            "action",
            "ids",
            "all_matching",
            "filter",
            "people_campaign",
            "bulk_list",
            "bulk_campaign",
        )
        if key in request.POST
    }
    fields["bulk_tag"] = request.POST.get("bulk_tag", "")
    url = reverse("lead_bulk")
    n = number_format(count, force_grouping=True)
    if action == "delete":
        return bulk.leads_delete_confirmation(leads, action_url=url, cancel_url=back, fields=fields)
    if action == "suppress":
        return Confirmation(
            title=ngettext("Suppress %(n)s lead?", "Suppress %(n)s leads?", count) % {"n": n},
            consequences=[
                ngettext(
                    "Its address goes on the suppression list.",
                    "Their %(n)s addresses go on the suppression list.",
                    count,
                )
                % {"n": n},
                _("No campaign writes to them again; queued mail to them is not sent."),
                _("An admin can remove an entry from the suppression list later."),
            ],
            action_url=url,
            fields=fields,
            confirm_label=_("Suppress"),
            cancel_url=back,
        )
    if action == "tag":
        title = ngettext("Tag %(n)s lead “%(tag)s”?", "Tag %(n)s leads “%(tag)s”?", count) % {
            "n": n,
            "tag": target,
        }
        lines = [_("Leads that already have the tag are left as they are.")]
        label = _("Add tag")
    elif action == "add_to_list":
        title = ngettext(
            "Add %(n)s lead to “%(list)s”?", "Add %(n)s leads to “%(list)s”?", count
        ) % {"n": n, "list": target.name}
        lines = [_("Leads already in the list stay once; no lead leaves another list.")]
        label = _("Add to list")
    else:
        title = ngettext(
            "Add %(n)s lead to “%(name)s”?", "Add %(n)s leads to “%(name)s”?", count
        ) % {"n": n, "name": target.name}
        lines = [
            _("They join a list of the campaign's own (never one another campaign uses)."),
            _("The campaign is running: they are enrolled at once and get its first email.")
            if target.status == Campaign.Status.RUNNING
            else _("They are enrolled when the campaign is launched or resumed."),
        ]
        label = _("Add to campaign")
    return Confirmation(
        title=title,
        consequences=lines,
        action_url=url,
        fields=fields,
        confirm_label=label,
        cancel_url=back,
        danger=False,
    )


def _act(request, action, leads, target) -> str:
    workspace = request.workspace
    if action == "delete":
        n = bulk.leads_delete(workspace=workspace, leads=leads, request=request)
        return ngettext("%(n)s lead deleted.", "%(n)s leads deleted.", n) % {
            "n": number_format(n, force_grouping=True)
        }
    if action == "suppress":
        added, already = bulk.leads_suppress(workspace=workspace, leads=leads, request=request)
        return ngettext("%(n)s address suppressed", "%(n)s addresses suppressed", added) % {
            "n": number_format(added, force_grouping=True)
        } + (
            _(" (%(m)s already were).") % {"m": number_format(already, force_grouping=True)}
            if already
            else "."
        )
    if action == "tag":
        n = bulk.leads_tag(leads=leads, tag=target)
        return ngettext(
            "Tag “%(tag)s” added to %(n)s lead.", "Tag “%(tag)s” added to %(n)s leads.", n
        ) % {"tag": target.strip().lower(), "n": number_format(n, force_grouping=True)}
    if action == "add_to_list":
        n = bulk.leads_add_to_list(leads=leads, lead_list=target)
        return ngettext(
            "%(n)s lead added to “%(list)s”.", "%(n)s leads added to “%(list)s”.", n
        ) % {"n": number_format(n, force_grouping=True), "list": target.name}
    added, enrolled = campaign_add_leads(
        campaign=target, lead_ids=list(leads.values_list("pk", flat=True))
    )
    return _("%(added)s leads added to “%(name)s”, %(enrolled)s enrolled now.") % {
        "added": number_format(added, force_grouping=True),
        "name": target.name,
        "enrolled": number_format(enrolled, force_grouping=True),
    }
