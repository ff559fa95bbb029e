"""The suppression list page: add one, import a file, export it, remove manual entries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.leads import csv_reader
from campaigns.leads.forms import SuppressionForm
from campaigns.leads.suppression import (
    SUPPRESSION_HEADER,
    SuppressionError,
    suppression_add,
    suppression_remove,
    suppressions_csv,
)
from campaigns.leads.suppression_imports import suppression_import_create
from campaigns.models import Suppression, SuppressionImport
from core.csv_export import csv_response
from core.request_guards import bounded_id
from core.tenancy import get_for_workspace_or_404


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.SUPPRESSION_ADD)
def suppression_list(request):
    form = SuppressionForm(request.POST or None)
    if request.method == "POST" and "file" in request.FILES:
        upload = request.FILES["file"]
        try:
            imp = suppression_import_create(
                workspace=request.workspace,
                user=request.user,
                filename=upload.name or "",
                data=upload.read(csv_reader.MAX_BYTES + 1),
            )
        except csv_reader.CsvFileError as exc:
            messages.error(request, str(exc))
            return redirect("suppression_list")
        return redirect(reverse("suppression_list") + f"?import={imp.pk}")
    elif request.method == "POST" and form.is_valid():
        try:
            row, created = suppression_add(
                workspace=request.workspace,
                entry=form.cleaned_data["entry"],
                note=form.cleaned_data["note"],
            )
        except SuppressionError as exc:
            form.add_error("entry", str(exc))
        else:
            if created:
                messages.success(
                    request, _("%(value)s will never be mailed.") % {"value": row.value}
                )
            else:
                messages.info(
                    request, _("%(value)s was already suppressed.") % {"value": row.value}
                )
            return redirect("suppression_list")
    entries = Suppression.objects.for_workspace(request.workspace)
    if q := request.GET.get("q", "").strip().lower():
        entries = entries.filter(value__contains=q)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.can_remove = entry.removable_by(request.membership)
    imp = None
    if (import_id := bounded_id(request.GET.get("import", ""))) is not None:
        imp = (
            SuppressionImport.objects.for_workspace(request.workspace).filter(pk=import_id).first()
        )
    return render(
        request,
        "campaigns/suppression_list.html",
        {"form": form, "page": page, "imp": imp, "q": q},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
@allowed_to(Action.SUPPRESSION_REMOVE)
def suppression_delete(request, pk: int):
    entry = get_for_workspace_or_404(Suppression, request.workspace, pk=pk)
    try:
        suppression_remove(suppression=entry, membership=request.membership, request=request)
    except SuppressionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(value)s can be mailed again.") % {"value": entry.value})
    return redirect("suppression_list")


@login_required
@require_GET
@allowed_to(Action.SUPPRESSION_EXPORT, methods=None)
def suppression_export(request):
    rows = suppressions_csv(request.workspace)
    return csv_response("suppressions.csv", SUPPRESSION_HEADER, rows)


@login_required
@require_GET
def suppression_import_progress(request, pk: int):
    """The import's progress, polled by the page until it is done."""
    imp = get_for_workspace_or_404(SuppressionImport, request.workspace, pk=pk)
    return render(request, "campaigns/suppression_list.html#import-progress", {"imp": imp})
