"""API keys (stored as SHA-256 hashes only, DESIGN §5.4) and webhooks (endpoints, the outbox of
events, and one delivery row per endpoint and event: the delivery log)."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.fields import EncryptedTextField
from core.tenancy import WorkspaceManager

KEY_PREFIX = "pgo_"


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """A workspace's key for the REST API. The secret is shown once; only its hash is kept."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("access"), max_length=10, choices=Scope, default=Scope.READ)
    prefix = models.CharField(max_length=20)  # what the settings page shows: "pgo_ab12cd34"
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    @property
    def can_write_as_creator(self) -> bool:
        """A write key whose creator's current role may change things (a viewer's may not).
        `creator_role` is annotated by `apikey_authenticate`."""
        return self.can_write and getattr(self, "creator_role", None) != "viewer"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"


EVENTS = {
    "email.sent": _("A campaign email was accepted by the recipient's server"),
    "email.opened": _("A campaign email was opened"),
    "email.clicked": _("A link in a campaign email was clicked"),
    "email.bounced": _("A campaign email bounced"),
    "reply.received": _("A lead replied (with the reply's label)"),
    "lead.interested": _("A reply was labelled interested"),
    "lead.unsubscribed": _("A lead unsubscribed"),
    "campaign.status_changed": _("A campaign started, paused, resumed or stopped"),
    "mailbox.error": _("A mailbox was paused by an error"),
    "balance.low": _("The prepaid balance fell below the low-balance threshold, or ran out"),
}


def new_webhook_secret() -> str:
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=1000)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, blank=True)  # empty: every event
    secret = EncryptedTextField()
    # After a rotation the old secret signs too, until it expires: receivers switch at leisure.
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events

    def signing_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and (
            self.previous_secret_expires_at is None or self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class WebhookEvent(models.Model):
    """The outbox: one row per emitted event, written in the transaction of what caused it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=40, default=new_message_id, unique=True)
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time of the next attempt; while an attempt runs, a lease (a crashed worker's delivery
    # is tried again once it passes). None once finished.
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)  # the first bytes of the answer
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()
    workspace_path = "endpoint__workspace"

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}: {self.status}"
