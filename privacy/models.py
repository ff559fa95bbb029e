"""The purge's records, a workspace's privacy choices and data exports."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import WorkspaceManager


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


class WorkspacePrivacy(models.Model):
    """A workspace's standing privacy choices: a restriction of processing, objections.

    Other apps read these through `privacy.services` (`is_restricted`, `objects_to_ai`…): the ai
    app keeps a workspace that objects to AI processing on the local provider.
    """

    workspace = models.OneToOneField(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="privacy"
    )
    # Processing restricted (GDPR art. 18): campaigns paused and not startable, no tracking
    # recorded, no AI calls, until lifted.
    restricted_at = models.DateTimeField(null=True, blank=True)
    restricted_reason = models.CharField(max_length=500, blank=True)
    # Objections (art. 21): to AI processing (only the built-in local provider is used) and to
    # analytics (no opens or clicks recorded).
    objects_to_ai_at = models.DateTimeField(null=True, blank=True)
    objects_to_analytics_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name_plural = _("workspace privacy choices")

    def __str__(self) -> str:
        return f"privacy of {self.workspace_id}"


def export_token() -> str:
    return secrets.token_urlsafe(32)


class DataExport(models.Model):
    """A ZIP of everything about a user and the workspaces they own, built by a task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports"
    )
    # Unguessable: the download link carries it; only its owner, signed in, may use it.
    token = models.CharField(max_length=64, unique=True, default=export_token, editable=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=200, blank=True)  # what it is doing now
    file = models.CharField(max_length=300, blank=True)  # path under MEDIA_ROOT
    size = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # 7 days after it is ready
    downloaded_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()
    workspace_path = "user__memberships__workspace"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.user_id}: {self.status}"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == self.Status.READY
            and self.expires_at is not None
            and self.expires_at > timezone.now()
            and bool(self.file)
        )


NOTICE_DAYS = 14  # a new version is published at least this long before it takes effect


class PolicyVersion(models.Model):
    """A version of the Terms or the Privacy Policy, published by an operator ahead of time.

    Users are told by email and a banner when it is published, and asked to accept it at their
    next visit once it is in effect; the acceptance is recorded on the user and in the audit log.
    """

    class Kind(models.TextChoices):
        TERMS = "terms", _("Terms of Service")
        PRIVACY = "privacy", _("Privacy Policy")

    kind = models.CharField(max_length=10, choices=Kind)
    version = models.CharField(
        max_length=20, help_text=_("A short label users see, e.g. the effective date 2027-02-01.")
    )
    summary = models.TextField(_("what changed"), help_text=_("Shown in the email and the banner."))
    body = models.TextField(
        _("full text"),
        blank=True,
        help_text=_("Plain text, paragraphs separated by blank lines. Empty: the built-in text."),
    )
    published_at = models.DateTimeField(default=timezone.now, editable=False)
    effective_at = models.DateTimeField(
        _("takes effect"), help_text=_("At least 14 days after publishing.")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["kind", "-effective_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.version}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        earliest = (self.published_at or timezone.now()) + timezone.timedelta(days=NOTICE_DAYS)
        if self.effective_at and self.effective_at < earliest:
            raise ValidationError(
                {
                    "effective_at": _(
                        "Users must be told at least %(days)d days ahead: choose %(date)s or later."
                    )
                    % {"days": NOTICE_DAYS, "date": f"{earliest:%Y-%m-%d %H:%M} UTC"}
                }
            )

    @property
    def in_effect(self) -> bool:
        return self.effective_at <= timezone.now()
