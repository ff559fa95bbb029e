"""API keys and webhook endpoints: creating, revoking, rotating (the rules live here once)."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditLog, Membership, User, Workspace
from accounts.services import audit_log
from api.models import (
    EVENTS,
    KEY_PREFIX,
    ApiKey,
    WebhookEndpoint,
    key_digest,
    new_webhook_secret,
)

# How long a rotated-out webhook secret keeps signing beside the new one.
ROTATION_OVERLAP = datetime.timedelta(hours=24)
# A key's last-use stamp is written at most this often (one UPDATE per request is too many).
LAST_USED_EVERY = datetime.timedelta(seconds=60)


class ApiError(ValueError):
    """A rule of keys or webhooks was broken; `field` names what to fix."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code


def apikey_create(
    *,
    workspace: Workspace,
    name: str,
    scope: str,
    expires_at: datetime.datetime | None,
    user: User | None,
    request: HttpRequest | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret (shown once: only the SHA-256 hash is stored)."""
    name = name.strip()
    if not name:
        raise ApiError(_("Give the key a name."), field="name")
    if scope not in ApiKey.Scope.values:
        raise ApiError(_("Access must be read or write."), field="scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiError(_("The expiry date must be in the future."), field="expires_at")
    visible = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{visible}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            workspace=workspace,
            name=name[:100],
            scope=scope,
            prefix=f"{KEY_PREFIX}{visible}",
            key_hash=key_digest(secret),
            expires_at=expires_at,
            created_by=user,
        )
        audit_log(
            action=AuditLog.Action.API_KEY_CREATED,
            request=request,
            user=user,
            workspace=workspace,
            key=key.prefix,
            name=key.name,
            scope=scope,
        )
    return key, secret


def apikey_revoke(*, key: ApiKey, user: User | None, request: HttpRequest | None = None) -> None:
    """Takes effect on the next request: every request looks the key up again."""
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:
            audit_log(
                action=AuditLog.Action.API_KEY_REVOKED,
                request=request,
                user=user,
                workspace=key.workspace,
                key=key.prefix,
                name=key.name,
            )


def apikey_authenticate(*, secret: str, ip: str | None) -> ApiKey | None:
    """The usable key with this secret, its last use stamped; None for anything else.

    A key acts for the person who created it, with their current role (`key.creator_role`):
    it works only while they are an active member of the key's workspace. A member who leaves,
    is removed or deactivated takes their keys' power with them (checked in the same query)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    creator_role = Membership.objects.filter(
        workspace_id=OuterRef("workspace_id"),
        user_id=OuterRef("created_by_id"),
        user__is_active=True,
    ).values("role")[:1]
    key = (
        ApiKey.objects.select_related("workspace")
        .filter(key_hash=key_digest(secret), workspace__closed_at__isnull=True)
        .annotate(creator_role=Subquery(creator_role))
        .first()
    )
    now = timezone.now()
    if key is None or not key.is_usable(now):
        return None
    if key.creator_role is None:
        return None
    if (
        key.last_used_at is None
        or now - key.last_used_at > LAST_USED_EVERY
        or (ip and key.last_used_ip != ip)
    ):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now, last_used_ip=ip)
        key.last_used_at, key.last_used_ip = now, ip
    return key


# --- Webhook endpoints --------------------------------------------------------------------------


def _clean_events(events: list[str] | None) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ApiError(
            _("Unknown event %(event)s; choose among %(known)s.")
            % {"event": unknown[0], "known": ", ".join(EVENTS)},
            field="events",
        )
    return events


def _clean_url(url: str) -> str:
    from api.webhooks import check_url

    check_url(url)  # scheme and syntax now; addresses are checked again at each delivery
    return url


def webhook_endpoint_create(
    *, workspace: Workspace, url: str, events: list[str] | None, description: str = ""
) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        workspace=workspace,
        url=_clean_url(url),
        events=_clean_events(events),
        description=description[:200],
        secret=new_webhook_secret(),
    )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    if url is not None:
        endpoint.url = _clean_url(url)
    if events is not None:
        endpoint.events = _clean_events(events)
    if description is not None:
        endpoint.description = description[:200]
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.disabled_reason = "" if enabled else _("Disabled by a person.")
        endpoint.failing_since = None
    endpoint.save()
    return endpoint


def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, overlap: datetime.timedelta = ROTATION_OVERLAP
) -> WebhookEndpoint:
    """A new secret signs from now on; the old one signs beside it until the overlap ends."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + overlap
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint
