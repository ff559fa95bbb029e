"""Sequence templates: a campaign's steps, delays, variants, subjects and bodies kept under a
name in a workspace, to start new campaigns from (never its leads, mailboxes or schedule)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.tenancy import WorkspaceManager


class SequenceTemplate(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="sequence_templates"
    )
    name = models.CharField(_("name"), max_length=120)
    # [{"delay_days", "delay_hours", "in_thread", "variants": [{"label", "subject",
    #   "body_html", "weight"}]}] in step order (campaigns/authoring/sequence_templates.py).
    steps = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def step_count(self) -> int:
        return len(self.steps)
