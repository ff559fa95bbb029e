"""What the ai app keeps: each workspace's AI settings and key, usage per call, blocked content
and the operator's decisions on it, and custom reply labels.

Every row reaches a workspace (DESIGN invariant 3). A workspace's OpenAI key is AES-256-GCM
ciphertext (`EncryptedTextField`, invariant 4), never rendered back. A blocked snapshot keeps
what was judged — subject, bodies, links, verdict — for 12 months (as the Terms promise);
then the privacy purge forgets it (the `blocked_snapshots` rule of privacy/retention.py).
Campaigns are referred to by id and name, not by foreign key: ai never imports campaigns.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.fields import EncryptedTextField
from core.tenancy import WorkspaceManager


class Purpose(models.TextChoices):
    CLASSIFY = "classify", _("Reply classification")
    CONTENT = "content", _("Content check")
    WRITE = "write", _("Writing")
    TEST = "test", _("Test and key check")


class AISettings(models.Model):
    """A workspace's choice of provider, its budget and rate limit."""

    class Provider(models.TextChoices):
        BUILT_IN = "built_in", _("Built-in (Gemini when the operator set it up, else offline)")
        OPENAI = "openai", _("My own OpenAI key")
        LOCAL = "local", _("Offline rules only (nothing leaves the server)")

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="ai")
    provider = models.CharField(max_length=10, choices=Provider, default=Provider.BUILT_IN)
    openai_model = models.CharField(max_length=40, default="gpt-4o-mini")
    monthly_call_budget = models.PositiveIntegerField(
        _("monthly budget (remote calls)"), default=2000
    )
    per_minute_limit = models.PositiveIntegerField(_("calls per minute"), default=30)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"AI settings of {self.workspace}"


class ProviderKey(models.Model):
    """A workspace's own provider key: ciphertext at rest, write-only in forms."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_keys")
    provider = models.CharField(max_length=10, default="openai")
    secret = EncryptedTextField()
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "provider"], name="ai_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider} key of {self.workspace}"  # never the key itself


class Usage(models.Model):
    """One call to a provider: what it was for, who answered, what it cost, and any fallback."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_usage")
    purpose = models.CharField(max_length=10, choices=Purpose)
    provider = models.CharField(max_length=10)  # who answered in the end
    model = models.CharField(max_length=60, blank=True)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    fell_back_from = models.CharField(max_length=10, blank=True)  # the remote that failed
    error = models.CharField(max_length=20, blank=True)  # ProviderError.kind of the last failure
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        indexes = [models.Index(fields=["workspace", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} by {self.provider} at {self.created_at:%Y-%m-%d %H:%M}"


class BlockedSnapshot(models.Model):
    """Content the filter blocked, kept for the operator's review and abuse investigation."""

    class Stage(models.TextChoices):
        LAUNCH = "launch", _("At launch")
        SEND = "send", _("At send")
        EDITOR = "editor", _("In the editor")

    class Status(models.TextChoices):
        HELD = "held", _("Held for review")
        RELEASED = "released", _("Released")
        CONFIRMED = "confirmed", _("Confirmed abusive")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_blocked")
    campaign_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    campaign_name = models.CharField(max_length=200, blank=True)
    stage = models.CharField(max_length=10, choices=Stage)
    subject = models.TextField(blank=True)
    body = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    score = models.FloatField(default=0.0)
    reason = models.TextField(blank=True)
    provider = models.CharField(max_length=10)
    model = models.CharField(max_length=60, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.HELD)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Blocked {self.get_stage_display().lower()}: {self.subject[:60]}"

    @staticmethod
    def hash_of(subject: str, body: str) -> str:
        return hashlib.sha256(f"{subject}\x00{body}".encode()).hexdigest()


class Review(models.Model):
    """An operator's decision, audited: who, when, why."""

    class Decision(models.TextChoices):
        RELEASE = "release", _("Released: the campaign may resume")
        CONFIRM = "confirm", _("Confirmed: the content stays blocked")
        SUSPEND = "suspend", _("Workspace suspended")
        RESTORE = "restore", _("Workspace restored")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_reviews")
    snapshot = models.ForeignKey(
        BlockedSnapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    decision = models.CharField(max_length=10, choices=Decision)
    reason = models.TextField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} ({self.created_at:%Y-%m-%d})"


class CustomLabel(models.Model):
    """A workspace's own reply label, beyond the seven built in: a name and what it means."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="ai_labels")
    name = models.SlugField(max_length=20)  # stored in Reply.label
    description = models.CharField(max_length=200)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="ai_label_unique")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SuspendedWorkspace(Workspace):
    """Workspaces as the abuse review sees them (the admin's list of suspended ones)."""

    workspace_path = "pk"  # a workspace is its own tenant
    objects = WorkspaceManager()

    class Meta:
        proxy = True
        verbose_name = _("suspended workspace")
