from django.contrib import admin

from privacy.models import DataExport, PolicyVersion, PurgeRun, WorkspacePrivacy
from privacy.notices import policy_publish


@admin.register(PurgeRun)
class PurgeRunAdmin(admin.ModelAdmin):
    """What each daily purge removed, per rule: the operator's view of retention at work."""

    list_display = [
        "rule",
        "started_at",
        "status",
        "dry_run",
        "deleted",
        "cascaded",
        "redacted",
        "batches",
        "cutoff",
        "finished_at",
    ]
    list_filter = ["rule", "status", "dry_run"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in PurgeRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    """Publishing a new Terms or Privacy version: at least 14 days ahead, users emailed, and
    asked to accept it once it is in effect. A published version is not edited: publish another."""

    list_display = [
        "kind",
        "version",
        "effective_at",
        "published_at",
        "notified_at",
        "published_by",
    ]
    list_filter = ["kind"]
    fields = ["kind", "version", "summary", "body", "effective_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        policy_publish(version=obj, by=request.user)


@admin.register(WorkspacePrivacy)
class WorkspacePrivacyAdmin(admin.ModelAdmin):
    """Which workspaces restrict processing or object to AI or analytics (read only: the
    workspace's owners decide, in Settings → Privacy)."""

    list_display = [
        "workspace",
        "restricted_at",
        "objects_to_ai_at",
        "objects_to_analytics_at",
        "updated_at",
    ]
    list_filter = [
        ("restricted_at", admin.EmptyFieldListFilter),
        ("objects_to_ai_at", admin.EmptyFieldListFilter),
    ]
    readonly_fields = [f.name for f in WorkspacePrivacy._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    """Data exports and their state; never their download link (only its owner may use it)."""

    list_display = [
        "user",
        "status",
        "progress",
        "size",
        "created_at",
        "expires_at",
        "downloaded_at",
    ]
    list_filter = ["status"]
    fields = ["user", "status", "progress", "step", "size", "error", "created_at", "finished_at",
              "expires_at", "downloaded_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
