"""Leads: list and search, edit, delete, CSV export, and the CSV import flow."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.leads import csv_reader
from campaigns.leads.bulk import (
    bulk_context,
    lead_import_rollback_forecast,
    leads_delete_confirmation,
)
from campaigns.leads.forms import LeadFilterForm, LeadForm, UploadForm, mapping_choices
from campaigns.leads.imports import (
    LeadImportError,
    lead_import_create,
    lead_import_preview,
    lead_import_resume,
    lead_import_rollback,
    lead_import_start,
)
from campaigns.models import STANDARD_FIELDS, Lead, LeadImport, LeadList
from campaigns.reports import people
from core.confirm import Confirmation, confirm_response
from core.csv_export import csv_response
from core.tenancy import get_for_workspace_or_404

PAGE_SIZE = 50


def _filtered(request, form: LeadFilterForm):
    return filtered_leads(Lead.objects.for_workspace(request.workspace), form)


def filtered_leads(leads, form: LeadFilterForm):
    """`leads` narrowed by the Leads page's filter (search, tag, status, list)."""
    if not form.is_valid():
        return leads
    data = form.cleaned_data
    if q := data["q"].strip():
        leads = leads.filter(
            Q(email_normalized__contains=q.lower())
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(company__icontains=q)
        )
    if tag := data["tag"].strip().lower():
        leads = leads.filter(tags__contains=f",{tag},")
    if data["status"]:
        leads = leads.filter(status=data["status"])
    if data["list"]:
        leads = leads.filter(lists=data["list"])
    return leads


@login_required
@require_GET
def lead_list(request):
    form = LeadFilterForm(request.GET or None, workspace=request.workspace)
    page = Paginator(_filtered(request, form), PAGE_SIZE).get_page(request.GET.get("page"))
    lists = LeadList.objects.for_workspace(request.workspace).annotate(size=Count("leads"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "lists": lists,
        "query": query.urlencode(),
        "total": Lead.objects.for_workspace(request.workspace).count(),
        "imports": LeadImport.objects.for_workspace(request.workspace).select_related("lead_list")[
            :5
        ],
        "matching": page.paginator.count,
        "filter_query": query.urlencode(),
        **bulk_context(request.workspace),
    }
    template = "campaigns/lead_list.html#results" if request.htmx else "campaigns/lead_list.html"
    return render(request, template, context)


@login_required
@require_GET
@allowed_to(Action.LEAD_EXPORT, methods=None)
def lead_export(request):
    form = LeadFilterForm(request.GET or None, workspace=request.workspace)
    leads = _filtered(request, form).order_by("pk")
    custom_keys = sorted(
        {key for custom in leads.values_list("custom", flat=True) for key in (custom or {})}
    )

    def rows():
        for lead in leads.iterator(chunk_size=2000):
            values = [getattr(lead, name) for name in STANDARD_FIELDS]
            values += [", ".join(lead.tag_list), lead.status]
            yield values + [lead.custom.get(key, "") for key in custom_keys]

    return csv_response("leads.csv", [*STANDARD_FIELDS, "tags", "status", *custom_keys], rows())


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.LEAD_EDIT)
def lead_detail(request, pk: int):
    lead = get_for_workspace_or_404(Lead, request.workspace, pk=pk)
    form = LeadForm(request.POST or None, instance=lead, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Lead saved."))
        return redirect("lead_list")
    context = {"form": form, "lead": lead, "activity": people.lead_activity(lead)}
    return render(request, "campaigns/lead_form.html", context)


@login_required
@require_POST
@allowed_to(Action.LEAD_DELETE)
def lead_delete(request, pk: int):
    lead = get_for_workspace_or_404(Lead, request.workspace, pk=pk)
    lead.delete()  # its suppression entries, if any, stay: they belong to the workspace
    messages.success(request, _("%(email)s was deleted.") % {"email": lead.email})
    return redirect("lead_list")


@login_required
@require_GET
@allowed_to(Action.LEAD_DELETE, methods=None)
def lead_delete_confirm(request, pk: int):
    lead = get_for_workspace_or_404(Lead, request.workspace, pk=pk)
    return confirm_response(
        request,
        leads_delete_confirmation(
            Lead.objects.filter(pk=lead.pk),
            action_url=reverse("lead_delete", args=[lead.pk]),
            cancel_url=reverse("lead_detail", args=[lead.pk]),
            title=_("Delete %(email)s?") % {"email": lead.email},
        ),
    )


@login_required
@require_GET
@allowed_to(Action.LEAD_DELETE, methods=None)
def lead_import_undo_confirm(request, pk: int):
    imp = get_for_workspace_or_404(LeadImport, request.workspace, pk=pk)
    forecast = lead_import_rollback_forecast(lead_import=imp)
    return confirm_response(
        request,
        Confirmation(
            title=_("Roll back this import?"),
            consequences=[
                ngettext(
                    "%(n)s lead it created, and in no other list, is deleted.",
                    "%(n)s leads it created, and in no other list, are deleted.",
                    forecast["leads_removed"],
                )
                % {"n": number_format(forecast["leads_removed"], force_grouping=True)},
                ngettext(
                    "%(n)s lead it added to %(list)s leaves that list.",
                    "%(n)s leads it added to %(list)s leave that list.",
                    forecast["memberships"],
                )
                % {
                    "n": number_format(forecast["memberships"], force_grouping=True),
                    "list": imp.lead_list.name,
                },
                ngettext(
                    "%(n)s existing lead gets back the blank fields and tags it filled in.",
                    "%(n)s existing leads get back the blank fields and tags it filled in.",
                    forecast["leads_restored"],
                )
                % {"n": number_format(forecast["leads_restored"], force_grouping=True)},
                ngettext(
                    "%(n)s campaign enrollment of the deleted leads ends with them.",
                    "%(n)s campaign enrollments of the deleted leads end with them.",
                    forecast["enrollments"],
                )
                % {"n": number_format(forecast["enrollments"], force_grouping=True)},
            ],
            action_url=reverse("lead_import_undo", args=[imp.pk]),
            confirm_label=_("Roll back import"),
            cancel_url=reverse("lead_import_detail", args=[imp.pk]),
            note=_("This cannot be undone."),
        ),
    )


# --- import ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.LEAD_EDIT, methods=None)
def lead_import_new(request):
    form = UploadForm(request.POST or None, request.FILES or None, workspace=request.workspace)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = upload.read(csv_reader.MAX_BYTES + 1)
            csv_reader.read(data)  # refuse a bad file before creating a list for it
            imp = lead_import_create(
                workspace=request.workspace,
                user=request.user,
                lead_list=form.lead_list_to_use(),
                filename=upload.name,
                data=data,
            )
        except csv_reader.CsvFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("lead_import_detail", pk=imp.pk)
    return render(
        request,
        "campaigns/lead_import_new.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _mapping_context(imp: LeadImport, mapping: list[str], error: str = "") -> dict:
    choices = mapping_choices(imp.header, imp.mapping)
    return {
        "imp": imp,
        "columns": [
            {"index": i, "name": name, "choices": choices[i], "selected": mapping[i]}
            for i, name in enumerate(imp.header)
        ],
        "preview": lead_import_preview(lead_import=imp),
        "error": error,
    }


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.LEAD_EDIT)
def lead_import_detail(request, pk: int):
    imp = get_for_workspace_or_404(
        LeadImport.objects.select_related("lead_list"), request.workspace, pk=pk
    )
    if imp.status != LeadImport.Status.MAPPING:
        return render(request, "campaigns/lead_import_progress.html", {"imp": imp})
    if request.method == "POST":
        mapping = [request.POST.get(f"column_{i}", "") for i in range(len(imp.header))]
        try:
            lead_import_start(
                lead_import=imp, mapping=mapping, check_mx=bool(request.POST.get("check_mx"))
            )
        except LeadImportError as exc:
            return render(
                request,
                "campaigns/lead_import_map.html",
                _mapping_context(imp, mapping, str(exc)),
                status=400,
            )
        return redirect("lead_import_detail", pk=imp.pk)
    return render(request, "campaigns/lead_import_map.html", _mapping_context(imp, imp.mapping))


@login_required
@require_GET
def lead_import_progress(request, pk: int):
    imp = get_for_workspace_or_404(
        LeadImport.objects.select_related("lead_list"), request.workspace, pk=pk
    )
    return render(request, "campaigns/lead_import_progress.html#progress", {"imp": imp})


@login_required
@require_POST
@allowed_to(Action.LEAD_DELETE)
def lead_import_undo(request, pk: int):
    imp = get_for_workspace_or_404(LeadImport, request.workspace, pk=pk)
    try:
        result = lead_import_rollback(lead_import=imp)
    except LeadImportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Import rolled back: %(removed)s leads removed, %(restored)s restored.")
            % {"removed": result["leads_removed"], "restored": result["leads_restored"]},
        )
    return redirect("lead_import_detail", pk=imp.pk)


@login_required
@require_POST
@allowed_to(Action.LEAD_EDIT)
def lead_import_continue(request, pk: int):
    imp = get_for_workspace_or_404(LeadImport, request.workspace, pk=pk)
    try:
        lead_import_resume(lead_import=imp)
    except LeadImportError as exc:
        messages.error(request, str(exc))
    return redirect("lead_import_detail", pk=imp.pk)
