from django.contrib import admin

from privacy.models import PurgeRun


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
