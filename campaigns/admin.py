"""Operators' view of campaigns: see any campaign and its messages, pause or stop it."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

from campaigns.models import Campaign, OutboundMessage, Suppression
from campaigns.sending.launch import campaign_pause, campaign_stop


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "status", "paused_reason", "created_at", "launched_at"]
    list_filter = ["status"]
    search_fields = ["name", "workspace__name"]
    # The status changes through the actions (pause, stop) and the user's launch, which do what
    # a change of status means; set directly it would skip that.
    readonly_fields = [
        "workspace",
        "status",
        "paused_reason",
        "created_at",
        "launched_at",
        "updated_at",
    ]
    fields = [
        "name",
        "workspace",
        "status",
        "paused_reason",
        "bounce_limit",
        "created_at",
        "launched_at",
        "updated_at",
    ]
    actions = ["pause", "stop"]

    @admin.action(description=gettext_lazy("Pause the selected campaigns"))
    def pause(self, request, queryset):
        for campaign in queryset:
            campaign_pause(campaign=campaign)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Paused %(count)d campaign.", "Paused %(count)d campaigns.", count)
            % {"count": count},
        )

    @admin.action(
        description=gettext_lazy("Stop the selected campaigns (no lead gets anything more)")
    )
    def stop(self, request, queryset):
        for campaign in queryset:
            campaign_stop(campaign=campaign)
        count = queryset.count()
        messages.success(
            request,
            ngettext("Stopped %(count)d campaign.", "Stopped %(count)d campaigns.", count)
            % {"count": count},
        )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["recipient", "state", "step", "mailbox", "queued_at", "sent_at", "smtp_code"]
    list_filter = ["state"]
    search_fields = ["recipient", "message_id", "enrollment__campaign__name"]
    list_select_related = ["step", "mailbox"]
    exclude = ["token"]  # a live unsubscribe/tracking credential

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "token"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "reason", "workspace", "created_at"]
    list_filter = ["kind", "reason"]
    search_fields = ["value"]
    readonly_fields = ["value_hash"]
