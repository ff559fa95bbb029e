"""Campaign counters: what the report reads, kept up to date as things happen.

One row per (campaign, day, step, variant, mailbox) holds how many messages were sent,
failed, opened… that day. Every change of a message or enrollment that a report counts bumps
its row in the same transaction (`campaigns/stats.py`), so a report reads a few small rows
whatever the campaign's size, and the numbers outlive the events the retention rules delete.
Rows about enrollments rather than messages (enrolled, completed, stopped) have step 0.
"""

from __future__ import annotations

from django.db import models

from campaigns.models.authoring import Campaign
from core.tenancy import WorkspaceManager

MESSAGE_METRICS = (
    "sent",  # accepted by the recipient's server
    "failed",  # refused for good (includes `bounced`) or not sendable
    "bounced",  # hard bounce answered during SMTP
    "returned",  # bounce report received after the server had accepted the message
    "unknown",  # interrupted while sending
    "opened",  # first human open of a message
    "clicked",  # first human click of a message
    "replied",  # first reply to a message
    "unsubscribed",
)
ENROLLMENT_METRICS = ("enrolled", "completed", "stopped")
METRICS = ENROLLMENT_METRICS + MESSAGE_METRICS


class CampaignStat(models.Model):
    campaign = models.ForeignKey(  # the unique key below starts with it
        Campaign, on_delete=models.CASCADE, related_name="stats", db_index=False
    )
    day = models.DateField()
    # Plain ids, 0 for "none": a unique key must not contain NULLs, and the report looks the
    # labels up once. A deleted step or variant keeps its numbers. The counters are signed:
    # a correction (a message no longer unknown) is a negative increment.
    step_id = models.BigIntegerField(default=0)
    variant_id = models.BigIntegerField(default=0)
    mailbox_id = models.BigIntegerField(default=0)
    enrolled = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    stopped = models.IntegerField(default=0)
    sent = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    bounced = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    unknown = models.IntegerField(default=0)
    opened = models.IntegerField(default=0)
    clicked = models.IntegerField(default=0)
    replied = models.IntegerField(default=0)
    unsubscribed = models.IntegerField(default=0)

    objects = WorkspaceManager()
    workspace_path = "campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "day", "step_id", "variant_id", "mailbox_id"],
                name="campaign_stat_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day} {self.step_id}/{self.variant_id}/{self.mailbox_id}"
