"""The suppression list page: add one, import a file, export it, remove manual entries."""

from __future__ import annotations

from itertools import islice

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Action, allowed_to
from campaigns.leads import csv_reader
from campaigns.leads.forms import SuppressionForm
from campaigns.leads.suppression import (
    SUPPRESSION_HEADER,
    SuppressionError,
    parse_entry,
    suppression_add,
    suppression_remove,
    suppressions_add,
    suppressions_csv,
)
from campaigns.models import Suppression
from core.csv_export import csv_response, restore_cell
from core.tenancy import get_for_workspace_or_404

MAX_FILE_ROWS = 1_000_000
SHOWN_PROBLEMS = 100


def _import_file(workspace, data: bytes) -> dict:
    """Every row's first non-empty cell is an address or domain. Every row is checked first,
    each bad one reported by number; the good ones are then added at once, all or nothing."""
    parsed = csv_reader.read(data)
    first = next((c for c in parsed.header if c.strip()), "")
    rows = [(1, [first])] if "@" in first or "." in first else []  # no header row
    rows += islice(csv_reader.rows(parsed.text, parsed.delimiter), MAX_FILE_ROWS + 1)
    if len(rows) > MAX_FILE_ROWS:
        raise csv_reader.CsvFileError(
            _("The file has more than %(n)s rows; split it and import the parts.")
            % {"n": f"{MAX_FILE_ROWS:,}"}
        )
    entries, problems = [], []
    for number, cells in rows:
        value = restore_cell(next((c.strip() for c in cells if c.strip()), ""))
        if not value:
            continue
        try:
            parse_entry(value)
        except SuppressionError as exc:
            problems.append({"row": number, "reason": str(exc)})
            continue
        entries.append(value)
    with transaction.atomic():
        added, existing = suppressions_add(
            workspace=workspace,
            entries=entries,
            reason=Suppression.Reason.MANUAL,
            note=_("imported"),
        )
    return {
        "added": added,
        "existing": existing,
        "problems": problems[:SHOWN_PROBLEMS],
        "more_problems": max(0, len(problems) - SHOWN_PROBLEMS),
    }


@login_required
@require_http_methods(["GET", "POST"])
@allowed_to(Action.SUPPRESSION_ADD)
def suppression_list(request):
    form = SuppressionForm(request.POST or None)
    report = None
    if request.method == "POST" and "file" in request.FILES:
        try:
            report = _import_file(
                request.workspace, request.FILES["file"].read(csv_reader.MAX_BYTES + 1)
            )
        except csv_reader.CsvFileError as exc:
            messages.error(request, str(exc))
        form = SuppressionForm()
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
    return render(
        request,
        "campaigns/suppression_list.html",
        {"form": form, "page": page, "report": report, "q": q},
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
