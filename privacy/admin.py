from django.contrib import admin

from privacy.models import PolicyVersion, PurgeRun
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
