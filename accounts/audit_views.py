"""The workspace's audit log, for its owners and admins: who did what, when, from where."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.models import AuditLog, Membership
from accounts.permissions import Action, allowed_to


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Event"), required=False)
    person = forms.ChoiceField(label=_("Person"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, workspace, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All events")), *AuditLog.Action.choices]
        members = Membership.objects.for_workspace(workspace).select_related("user")
        self.fields["person"].choices = [("", _("Everyone"))] + [
            (str(m.user_id), m.user.email) for m in members
        ]

    def apply(self, entries):
        if not self.is_valid():
            return entries.none()
        data = self.cleaned_data
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["person"]:
            entries = entries.filter(user_id=int(data["person"]))
        if data["since"]:
            entries = entries.filter(created_at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(created_at__date__lte=data["until"])
        return entries


@login_required
@require_GET
@allowed_to(Action.AUDIT_LOG_VIEW, methods=None)
def workspace_audit_log(request):
    form = AuditFilterForm(request.GET or None, workspace=request.workspace)
    entries = AuditLog.objects.for_workspace(request.workspace).select_related("user")
    if form.is_bound:
        entries = form.apply(entries)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = urlencode(
        [(k, v) for k, v in request.GET.items() if k in form.fields and v and len(v) < 100]
    )
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "today": datetime.date.today(),
        },
    )
