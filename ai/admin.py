"""The operator's abuse review queue (Django admin, OTP-protected by postigo/urls.py).

Held content comes first, oldest first; its page shows the subject, body and links defanged
(never rendered, never clickable) with the verdict, and three decisions — release, confirm,
suspend the workspace — each needing a reason, each audited (`ai.review`). Suspended
workspaces have their own list, where an operator restores them.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ai import review
from ai.models import BlockedSnapshot, Review, SuspendedWorkspace, Usage


class DecisionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=gettext_lazy(
            "Why: kept in the audit trail; for confirm and suspend, also sent to the user."
        ),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BlockedSnapshot)
class BlockedSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "campaign_name", "subject_short", "stage",
                    "categories_shown",
                    "score", "provider", "status"]  # fmt: skip
    list_display_links = ["created_at", "subject_short"]
    list_filter = ["status", "stage", "provider"]
    search_fields = ["workspace__name", "campaign_name", "subject"]
    list_select_related = ["workspace"]

    def get_queryset(self, request):
        # The queue: held first, oldest first; the decided ones after them.
        held_first = Case(
            When(status=BlockedSnapshot.Status.HELD, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return super().get_queryset(request).order_by(held_first, "created_at")

    @admin.display(description=gettext_lazy("subject"))
    def subject_short(self, obj):
        return obj.subject[:80]

    @admin.display(description=gettext_lazy("categories"))
    def categories_shown(self, obj):
        return ", ".join(obj.categories)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def get_urls(self):
        return [
            path("<int:pk>/decide/", self.admin_site.admin_view(self.decide),
                 name="ai_blockedsnapshot_decide"),
            *super().get_urls(),
        ]  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        snapshot = get_object_or_404(BlockedSnapshot.objects.select_related("workspace"),
                                     pk=object_id)  # fmt: skip
        return self._page(request, snapshot, DecisionForm())

    def _page(self, request, snapshot, form, status=200):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Blocked content: %(subject)s") % {"subject": snapshot.subject[:60]},
            "snapshot": snapshot,
            "subject": review.defang(snapshot.subject),
            "body": review.defang(snapshot.body),
            "links": [review.defang(link) for link in snapshot.links],
            "form": form,
            "reviews": snapshot.reviews.select_related("operator"),
            "workspace_reviews": Review.objects.filter(workspace=snapshot.workspace)[:10],
            "other_held": BlockedSnapshot.objects.filter(
                workspace=snapshot.workspace, status=BlockedSnapshot.Status.HELD
            )
            .exclude(pk=snapshot.pk)
            .count(),
        }
        return TemplateResponse(request, "admin/ai/snapshot_review.html", context, status=status)

    def decide(self, request, pk):
        snapshot = get_object_or_404(BlockedSnapshot.objects.select_related("workspace"), pk=pk)
        if request.method != "POST":
            return redirect(reverse("admin:ai_blockedsnapshot_change", args=[pk]))
        form = DecisionForm(request.POST)
        decision = request.POST.get("decision")
        actions = {
            "release": lambda r: review.snapshot_release(snapshot=snapshot, operator=request.user,
                                                         reason=r),
            "confirm": lambda r: review.snapshot_confirm(snapshot=snapshot, operator=request.user,
                                                         reason=r),
            "suspend": lambda r: review.workspace_suspend(workspace=snapshot.workspace,
                                                          operator=request.user, reason=r,
                                                          snapshot=snapshot),
        }  # fmt: skip
        if decision not in actions or not form.is_valid():
            if decision not in actions:
                form.add_error(None, _("Choose release, confirm or suspend."))
            return self._page(request, snapshot, form, status=400)
        actions[decision](form.cleaned_data["reason"])
        done = {
            "release": _("Released: the campaign may resume."),
            "confirm": _("Confirmed: the content stays blocked."),
            "suspend": _("The workspace is suspended."),
        }
        messages.success(request, done[decision])
        return redirect(reverse("admin:ai_blockedsnapshot_changelist"))


@admin.register(SuspendedWorkspace)
class SuspendedWorkspaceAdmin(ReadOnlyAdmin):
    list_display = ["name", "suspended_at", "suspension_reason", "restore_link"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(suspended_at__isnull=False)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    @admin.display(description="")
    def restore_link(self, obj):
        url = reverse("admin:ai_suspendedworkspace_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Review and restore"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        workspace = get_object_or_404(SuspendedWorkspace, pk=object_id)
        form = DecisionForm(request.POST or None)
        if request.method == "POST" and workspace.suspended_at and form.is_valid():
            review.workspace_restore(workspace=workspace, operator=request.user,
                                     reason=form.cleaned_data["reason"])  # fmt: skip
            messages.success(request, _("“%(name)s” is active again.") % {"name": workspace.name})
            return redirect(reverse("admin:ai_suspendedworkspace_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Suspended: %(name)s") % {"name": workspace.name},
            "workspace": workspace,
            "form": form,
            "reviews": Review.objects.filter(workspace=workspace).select_related("operator"),
        }
        return TemplateResponse(request, "admin/ai/workspace_restore.html", context,
                                status=400 if form.errors else 200)  # fmt: skip


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "decision", "workspace", "operator", "reason"]
    list_filter = ["decision"]
    list_select_related = ["workspace", "operator"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(Usage)
class UsageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "workspace", "purpose", "provider", "model", "input_tokens",
                    "output_tokens", "fell_back_from", "error"]  # fmt: skip
    list_filter = ["purpose", "provider", "error"]
    list_select_related = ["workspace"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
