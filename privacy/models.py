"""What the purge did: one row per rule per run, with the counters the operator reads."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PurgeRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    rule = models.CharField(max_length=40, db_index=True)  # a key of privacy/retention.py
    cutoff = models.DateTimeField()  # rows dated before this went
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING)
    deleted = models.BigIntegerField(default=0)  # rows of the rule's model
    cascaded = models.BigIntegerField(default=0)  # rows that went with them (children)
    redacted = models.BigIntegerField(default=0)  # rows kept with fields blanked
    batches = models.PositiveIntegerField(default=0)
    # Checkpoint: the highest primary key already handled, so a run that died resumes there.
    last_pk = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rule} {self.started_at:%Y-%m-%d}: {self.status}"

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()
