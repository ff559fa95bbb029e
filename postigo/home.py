"""The dashboard: the one page that reads every app, so it sits with the project on top."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts import two_factor
from accounts.models import Membership, Notification
from campaigns.models import Lead, Reply
from campaigns.reports.numbers import workspace_today
from smtp_accounts.models import DomainCheck, Mailbox


@login_required
@require_GET
def dashboard(request):
    notifications = Notification.objects.for_workspace(request.workspace).visible_to(request.user)[
        :5
    ]
    return render(
        request,
        "accounts/dashboard.html",
        {
            "notifications": notifications,
            "has_two_factor": two_factor.user_has_two_factor(request.user),
            "member_count": Membership.objects.for_workspace(request.workspace).count(),
            "mailbox_count": Mailbox.objects.for_workspace(request.workspace).count(),
            "mailboxes": Mailbox.objects.for_workspace(request.workspace)
            .values("status")
            .annotate(n=Count("pk"))
            .order_by("status"),
            "domain_problems": DomainCheck.objects.for_workspace(request.workspace)
            .filter(status=DomainCheck.Level.ERROR)
            .count(),
            "lead_count": Lead.objects.for_workspace(request.workspace).count(),
            "today": workspace_today(request.workspace),
            "new_interested": Reply.objects.for_workspace(request.workspace)
            .filter(label=Reply.Label.INTERESTED, read_at__isnull=True)
            .count(),
        },
    )
