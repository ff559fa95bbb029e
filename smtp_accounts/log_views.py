"""A mailbox's delivery log: every SMTP attempt it made, filterable and searchable."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.tenancy import get_for_workspace_or_404
from smtp_accounts import delivery_log
from smtp_accounts.models import Mailbox, SendLog


def render_log(request, logs, *, template_context: dict):
    """The delivery log page for `logs` (already scoped to the workspace): the filter form
    from the query string, one keyset page, and the link to the next."""
    form = delivery_log.DeliveryLogFilter(request.GET)
    page = delivery_log.log_page(logs, form, after=request.GET.get("after"))
    if states := template_context.get("states"):
        for row in page.rows:
            row.state_label = states.get(getattr(row, "state_now", None), "")
    kept = {k: v for k, v in form.data.items() if k in form.fields and v}
    context = {
        "form": form,
        "page": page,
        "query": urlencode(kept),
        "next_query": urlencode(kept | {"after": page.next_cursor}) if page.next_cursor else "",
        "paged": bool(request.GET.get("after")),
        **template_context,
    }
    template = "smtp_accounts/delivery_log.html"
    return render(request, template + "#results" if request.htmx else template, context)


@login_required
@require_GET
def mailbox_log(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    return render_log(
        request,
        SendLog.objects.for_workspace(request.workspace).filter(mailbox=mailbox),
        template_context={
            "title": mailbox.email,
            "back_url": reverse("mailbox_detail", args=[mailbox.pk]),
            "log_url": reverse("mailbox_log", args=[mailbox.pk]),
            "show_mailbox": False,
        },
    )
