"""Webhook endpoints: manage them, send a test event, read the delivery log, redeliver."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from api.core import ERRORS, MAX_LIMIT, ApiProblem, page
from api.models import EVENTS, WebhookDelivery, WebhookEndpoint
from api.services import (
    ApiError,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from api.webhooks import WebhookUrlError, webhook_redeliver, webhook_send_test
from core.tenancy import get_for_workspace_or_404

router = Router(tags=["webhooks"])


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str] = Field(description="Empty: every event")
    enabled: bool
    disabled_reason: str
    failing_since: datetime.datetime | None
    created_at: datetime.datetime


class EndpointPage(Schema):
    data: list[EndpointOut]
    next_cursor: str | None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="Verify signatures with it (Standard Webhooks, whsec_…)")
    previous_secret_expires_at: datetime.datetime | None


class EndpointIn(Schema):
    url: str = Field(..., max_length=1000)
    events: list[str] = []
    description: str = Field("", max_length=200)


class EndpointPatch(Schema):
    url: str | None = Field(None, max_length=1000)
    events: list[str] | None = None
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = None


class EventTypes(Schema):
    data: dict[str, str]


class DeliveryOut(Schema):
    id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime.datetime | None
    last_attempt_at: datetime.datetime | None
    response_status: int | None
    response_ms: int | None
    response_body: str
    error: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_event_id(obj: WebhookDelivery) -> str:
        return obj.event.message_id

    @staticmethod
    def resolve_event_type(obj: WebhookDelivery) -> str:
        return obj.event.type


class DeliveryPage(Schema):
    data: list[DeliveryOut]
    next_cursor: str | None


def _endpoint(request, endpoint_id: int) -> WebhookEndpoint:
    return get_for_workspace_or_404(WebhookEndpoint, request.workspace, pk=endpoint_id)


def _invalid(exc: ApiError | WebhookUrlError) -> ApiProblem:
    return ApiProblem(422, "invalid", f"{exc.field}: {exc}", field=exc.field)


def _clean(text: str | None) -> str | None:
    return None if text is None else text.replace("\x00", "")


@router.get("/webhooks/event-types", response={200: EventTypes, **ERRORS}, summary="Event types")
def event_types(request):
    return {"data": {name: str(text) for name, text in EVENTS.items()}}


@router.get("/webhooks/endpoints", response={200: EndpointPage, **ERRORS}, summary="List endpoints")
def list_endpoints(
    request,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    rows, next_cursor = page(
        WebhookEndpoint.objects.for_workspace(request.workspace), cursor=cursor, limit=limit
    )
    return {"data": rows, "next_cursor": next_cursor}


@router.post(
    "/webhooks/endpoints",
    response={201: EndpointWithSecret, **ERRORS},
    summary="Add an endpoint (its signing secret is in the answer)",
)
def create_endpoint(request, body: EndpointIn):
    try:
        endpoint = webhook_endpoint_create(
            workspace=request.workspace,
            url=_clean(body.url),
            events=body.events,
            description=_clean(body.description),
        )
    except (ApiError, WebhookUrlError) as exc:
        raise _invalid(exc) from exc
    return Status(201, endpoint)


@router.get(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Get an endpoint",
)
def get_endpoint(request, endpoint_id: int):
    return _endpoint(request, endpoint_id)


@router.get(
    "/webhooks/endpoints/{int:endpoint_id}/secret",
    response={200: EndpointWithSecret, **ERRORS},
    summary="Reveal the signing secret (write keys only)",
)
def get_secret(request, endpoint_id: int):
    if not request.api_key.can_write:
        raise ApiProblem(403, "read_only_key", "Only a key with write access reads secrets.")
    return _endpoint(request, endpoint_id)


@router.patch(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={200: EndpointOut, **ERRORS},
    summary="Change an endpoint (enable it again after it was disabled)",
)
def update_endpoint(request, endpoint_id: int, body: EndpointPatch):
    endpoint = _endpoint(request, endpoint_id)
    try:
        return webhook_endpoint_update(
            endpoint=endpoint,
            url=_clean(body.url),
            events=body.events,
            description=_clean(body.description),
            enabled=body.enabled,
        )
    except (ApiError, WebhookUrlError) as exc:
        raise _invalid(exc) from exc


@router.delete(
    "/webhooks/endpoints/{int:endpoint_id}",
    response={204: None, **ERRORS},
    summary="Delete an endpoint and its delivery log",
)
def delete_endpoint(request, endpoint_id: int):
    _endpoint(request, endpoint_id).delete()
    return HttpResponse(status=204)


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/rotate-secret",
    response={200: EndpointWithSecret, **ERRORS},
    summary="Rotate the secret; the old one keeps signing for 24 hours",
)
def rotate_secret(request, endpoint_id: int):
    return webhook_endpoint_rotate_secret(endpoint=_endpoint(request, endpoint_id))


@router.post(
    "/webhooks/endpoints/{int:endpoint_id}/test",
    response={202: DeliveryOut, **ERRORS},
    summary="Send a webhook.test event to this endpoint",
)
def send_test(request, endpoint_id: int):
    endpoint = _endpoint(request, endpoint_id)
    return Status(202, webhook_send_test(endpoint=endpoint))


@router.get(
    "/webhooks/endpoints/{int:endpoint_id}/deliveries",
    response={200: DeliveryPage, **ERRORS},
    summary="The endpoint's delivery log",
)
def list_deliveries(
    request,
    endpoint_id: int,
    status: WebhookDelivery.Status | None = None,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    endpoint = _endpoint(request, endpoint_id)
    deliveries = endpoint.deliveries.select_related("event")
    if status:
        deliveries = deliveries.filter(status=status)
    rows, next_cursor = page(deliveries, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": next_cursor}


@router.post(
    "/webhooks/deliveries/{int:delivery_id}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    summary="Deliver the event again (same webhook-id)",
)
def redeliver(request, delivery_id: int):
    delivery = get_for_workspace_or_404(
        WebhookDelivery.objects.select_related("event", "endpoint"),
        request.workspace,
        pk=delivery_id,
    )
    return Status(202, webhook_redeliver(delivery=delivery))
