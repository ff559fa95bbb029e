"""Webhooks: emitting events into the outbox, and delivering them (Standard Webhooks).

`webhooks_emit` writes one `WebhookEvent` and one `WebhookDelivery` per subscribed endpoint in
the caller's transaction, and asks Celery (on commit) to deliver: nothing is posted on the
request or send path. `deliver_due` posts due deliveries, each signed with the endpoint's
secret(s) (`webhook-id`, `webhook-timestamp`, `webhook-signature`), retrying failures on the
Standard Webhooks schedule for about a day; an endpoint failing for days is disabled and the
workspace told.

SSRF guard: the endpoint's host is resolved here, every address is checked with the guard the
mailboxes use (smtp_accounts/network.py), and the connection goes to the checked address (the
URL's host is replaced by it; the name travels in Host and TLS SNI), so a second DNS answer
cannot point it elsewhere. Redirects are never followed: a 3xx is a failed attempt.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import logging
import time
import urllib.parse
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from accounts.models import Workspace
from api.models import EVENTS, WebhookDelivery, WebhookEndpoint, WebhookEvent
from core.db import update_each

logger = logging.getLogger(__name__)

# Standard Webhooks' recommended schedule: after the first attempt, wait these in turn
# (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: about 28 hours), then give up.
RETRY_SCHEDULE = [
    datetime.timedelta(seconds=5),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=10),
]
LEASE = datetime.timedelta(minutes=5)  # an attempt that crashed its worker is retried after this
BATCH = 200
BODY_KEPT = 500


class WebhookUrlError(ValueError):
    """The endpoint URL may not be called; the message says why."""

    field = "url"
    code = "invalid"


# --- Emitting -----------------------------------------------------------------------------------


def webhooks_emit(*, workspace: Workspace | int, event: str, data: dict) -> WebhookEvent | None:
    """Queue `event` for every endpoint of the workspace that wants it (in the caller's
    transaction); returns the outbox row, or None when no endpoint wants the event."""
    rows = webhooks_emit_many(workspace=workspace, event=event, items=[data])
    return rows[0] if rows else None


def webhooks_emit_many(
    *, workspace: Workspace | int, event: str, items: list[dict]
) -> list[WebhookEvent]:
    """One event per item (a batch of sent messages): three queries whatever the number, one
    when no endpoint wants the event."""
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            workspace_id=workspace_id, enabled=True
        ).only("pk", "events")
        if endpoint.wants(event)
    ]
    if not endpoints or not items:
        return []
    with transaction.atomic():
        rows = WebhookEvent.objects.bulk_create(
            [WebhookEvent(workspace_id=workspace_id, type=event, data=data) for data in items]
        )
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(endpoint=endpoint, event=row)
                for row in rows
                for endpoint in endpoints
            ]
        )
    transaction.on_commit(_kick)
    return rows


def _kick() -> None:
    """Ask for a delivery run, at most once a second (beat runs one every few seconds too)."""
    if cache.add("api:webhooks:kick", 1, timeout=1):
        from api.tasks import deliver_webhooks

        deliver_webhooks.delay()


def webhook_send_test(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, delivered like any other."""
    with transaction.atomic():
        row = WebhookEvent.objects.create(
            workspace_id=endpoint.workspace_id,
            type="webhook.test",
            data={"endpoint_id": endpoint.pk, "message": "This is a test event from Postigo."},
        )
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=row)
    transaction.on_commit(_kick)
    return delivery


def webhook_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same event (same webhook-id, so receivers can deduplicate)."""
    copy = WebhookDelivery.objects.create(endpoint=delivery.endpoint, event=delivery.event)
    transaction.on_commit(_kick)
    return copy


# --- The SSRF guard -----------------------------------------------------------------------------


_URL = URLValidator(schemes=["http", "https"])


def check_url(url: str) -> urllib.parse.SplitResult:
    try:
        _URL(url)
    except ValidationError as exc:
        raise WebhookUrlError(_("Enter a full http:// or https:// URL.")) from exc
    parts = urllib.parse.urlsplit(url)
    if parts.username or parts.password:
        raise WebhookUrlError(_("The URL may not carry a user name or password."))
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        raise WebhookUrlError(_("Webhook URLs must use https://."))
    return parts


def checked_address(url: str) -> tuple[urllib.parse.SplitResult, str]:
    """The URL's parts and the one address to connect to, after every address was checked."""
    from smtp_accounts.network import HostNotAllowed, resolve_checked

    parts = check_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = resolve_checked(
            parts.hostname or "", port, nameservers=settings.DNS_NAMESERVERS
        )
    except HostNotAllowed as exc:
        raise WebhookUrlError(str(exc)) from exc
    return parts, addresses[0]


def pinned_request(parts: urllib.parse.SplitResult, address: str) -> tuple[str, dict, dict]:
    """The URL aimed at `address`, with the Host header and TLS name of the original."""
    ip = ipaddress.ip_address(address)
    netloc = f"[{ip}]" if ip.version == 6 else str(ip)
    if parts.port:
        netloc += f":{parts.port}"
    url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.hostname + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return url, {"host": host_header}, extensions


# --- Delivering ---------------------------------------------------------------------------------


def payload_of(event: WebhookEvent) -> str:
    return json.dumps(
        {
            "type": event.type,
            "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
            "data": event.data,
        },
        separators=(",", ":"),
        default=str,
    )


@dataclass
class Target:
    """An endpoint as one delivery run posts to it: resolved, checked and pinned once, its
    secrets decrypted and their signers built once (not per delivery)."""

    url: str = ""
    headers: dict | None = None
    extensions: dict | None = None
    signers: list | None = None
    refused: str = ""

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, now) -> Target:
        try:
            parts, address = checked_address(endpoint.url)
        except WebhookUrlError as exc:
            return cls(refused=str(exc)[:300])
        url, host, extensions = pinned_request(parts, address)
        headers = {"content-type": "application/json", "user-agent": "Postigo-Webhooks/1"}
        signers = [Webhook(secret) for secret in endpoint.signing_secrets(now)]
        return cls(url, headers | host, extensions, signers)

    def signed_headers(self, event: WebhookEvent, body: str, now) -> dict:
        signature = " ".join(s.sign(event.message_id, now, body) for s in self.signers)
        return {
            **self.headers,
            "webhook-id": event.message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }


@dataclass
class Outcome:
    ok: bool
    status: int | None = None
    ms: int | None = None
    body: str = ""
    error: str = ""


def _post(client: httpx.Client, target: Target, event: WebhookEvent) -> Outcome:
    if target.refused:
        return Outcome(False, error=target.refused)
    body = payload_of(event)
    headers = target.signed_headers(event, body, timezone.now())
    started = time.perf_counter()
    try:
        response = client.post(
            target.url, content=body, headers=headers, extensions=target.extensions
        )
    except httpx.TimeoutException:
        return Outcome(
            False, error=_("No answer within %(s)s s.") % {"s": settings.WEBHOOK_TIMEOUT}
        )
    except httpx.HTTPError as exc:
        return Outcome(False, error=(str(exc) or exc.__class__.__name__)[:300])
    ms = int((time.perf_counter() - started) * 1000)
    text = response.content[:BODY_KEPT].decode("utf-8", "replace")
    ok = 200 <= response.status_code < 300
    error = ""
    if 300 <= response.status_code < 400:
        error = _("Redirects are not followed; point the endpoint at the final URL.")
    return Outcome(ok, response.status_code, ms, text, error)


def _claim(limit: int) -> list[WebhookDelivery]:
    now = timezone.now()
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
            endpoint__enabled=True,
            # A closed workspace sends nothing, webhooks included: its pending deliveries
            # wait (their payloads name leads) and go out only if it is restored.
            endpoint__workspace__closed_at__isnull=True,
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due.values_list("pk", flat=True)[:limit])
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + LEASE)
    return list(WebhookDelivery.objects.filter(pk__in=ids).select_related("event").order_by("pk"))


def deliver_due(*, limit: int = 10_000) -> int:
    """Post every due delivery (up to `limit`); returns how many were attempted."""
    done = 0
    targets: dict[int, Target] = {}
    endpoints: dict[int, WebhookEndpoint] = {}
    with httpx.Client(
        timeout=settings.WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False
    ) as client:
        while done < limit:
            batch = _claim(min(BATCH, limit - done))
            if not batch:
                break
            missing = {d.endpoint_id for d in batch} - set(endpoints)
            endpoints.update(WebhookEndpoint.objects.in_bulk(missing))
            outcomes = []
            for delivery in batch:
                delivery.endpoint = endpoints[delivery.endpoint_id]
                if delivery.endpoint_id not in targets:
                    targets[delivery.endpoint_id] = Target.of(delivery.endpoint, timezone.now())
                outcomes.append(
                    (delivery, _post(client, targets[delivery.endpoint_id], delivery.event))
                )
            _record(outcomes)
            done += len(batch)
    return done


def _record(outcomes: list[tuple[WebhookDelivery, Outcome]]) -> None:
    now = timezone.now()
    succeeded, failed = set(), {}
    for delivery, outcome in outcomes:
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.status
        delivery.response_ms = outcome.ms
        delivery.response_body = outcome.body
        delivery.error = outcome.error
        if outcome.ok:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.next_attempt_at = None
            succeeded.add(delivery.endpoint_id)
        else:
            failed.setdefault(delivery.endpoint_id, delivery.endpoint)
            if delivery.attempts > len(RETRY_SCHEDULE):
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + RETRY_SCHEDULE[delivery.attempts - 1]
    fields = [
        "attempts",
        "last_attempt_at",
        "response_status",
        "response_ms",
        "response_body",
        "error",
        "status",
        "next_attempt_at",
    ]
    with transaction.atomic():
        update_each([d for d, _o in outcomes], fields)  # bulk_update's CASE WHENs cost more
        WebhookEndpoint.objects.filter(pk__in=succeeded, failing_since__isnull=False).update(
            failing_since=None
        )
        for endpoint_id, endpoint in failed.items():
            if endpoint_id not in succeeded:
                _failing(endpoint, now)


def _failing(endpoint: WebhookEndpoint, now: datetime.datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    cutoff = now - datetime.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    disabled = WebhookEndpoint.objects.filter(
        Q(pk=endpoint.pk), enabled=True, failing_since__lte=cutoff
    ).update(
        enabled=False,
        disabled_reason=_("Every delivery failed for %(n)s days.")
        % {"n": settings.WEBHOOK_DISABLE_AFTER_DAYS},
    )
    if disabled:
        from accounts.services import notify, notify_managers_by_email

        title = _("A webhook endpoint was disabled")
        body = _(
            "Every delivery to %(url)s failed for %(n)s days, so Postigo stopped sending to it. "
            "Fix the receiver, then enable the endpoint again (Settings → API)."
        ) % {"url": endpoint.url, "n": settings.WEBHOOK_DISABLE_AFTER_DAYS}
        workspace = Workspace.objects.get(pk=endpoint.workspace_id)
        notify(workspace=workspace, title=title, body=body, url="/settings/api/", level="error")
        transaction.on_commit(
            lambda: notify_managers_by_email(
                workspace=workspace, title=title, body=body, url="/settings/api/"
            )
        )
