"""Leads, lists and custom fields."""

from __future__ import annotations

import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from api.core import ERRORS, MAX_LIMIT, ApiProblem, Error, page
from campaigns.leads.services import (
    MAX_BATCH,
    LeadError,
    lead_create,
    lead_data_clean,
    lead_update,
    leads_upsert,
)
from campaigns.models import Lead, LeadList
from core.tenancy import get_for_workspace_or_404

router = Router(tags=["leads"])


class LeadOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    title: str
    website: str
    phone: str
    timezone: str
    custom: dict[str, str | int | float | bool | None]
    tags: list[str]
    status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_tags(obj: Lead) -> list[str]:
        return obj.tag_list


class LeadPage(Schema):
    data: list[LeadOut]
    next_cursor: str | None


class LeadFields(Schema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=200)
    website: str | None = Field(None, max_length=500)
    phone: str | None = Field(None, max_length=50)
    timezone: str | None = Field(None, max_length=64)
    custom: dict[str, str | int | float | bool | None] | None = None
    tags: list[str] | None = None


class LeadIn(LeadFields):
    email: str = Field(..., max_length=254)
    list_ids: list[int] = []


class LeadPatch(LeadFields):
    email: str | None = Field(None, max_length=254)
    status: Lead.Status | None = None
    list_ids: list[int] | None = None


class BulkRow(LeadFields):
    email: str = Field(..., max_length=254)


class BulkIn(Schema):
    leads: list[BulkRow] = Field(..., max_length=MAX_BATCH)
    list_id: int | None = None


class RowError(Schema):
    code: str
    message: str
    field: str | None


class RowResult(Schema):
    index: int
    email: str
    status: str
    id: int | None = None
    error: RowError | None = None


class BulkOut(Schema):
    created: int
    updated: int
    failed: int
    results: list[RowResult]


class ListOut(Schema):
    id: int
    name: str
    created_at: datetime.datetime


class ListPage(Schema):
    data: list[ListOut]
    next_cursor: str | None


class ListIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)


class CustomFields(Schema):
    data: list[str]


STANDARD = ("first_name", "last_name", "company", "title", "website", "phone", "timezone")


def _problem(exc: LeadError) -> ApiProblem:
    status = {"conflict": 409, "suppressed": 409, "not_found": 404}.get(exc.code, 422)
    return ApiProblem(status, exc.code, str(exc), field=exc.field or None)


def _fields(body: LeadFields) -> dict:
    return {name: getattr(body, name) for name in STANDARD if getattr(body, name) is not None}


@router.get("/leads", response={200: LeadPage, **ERRORS}, summary="List and search leads")
def list_leads(
    request,
    q: str = Query("", max_length=200, description="Part of the address, name or company"),
    status: Lead.Status | None = None,
    list_id: int | None = None,
    tag: str = Query("", max_length=100),
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    leads = Lead.objects.for_workspace(request.workspace)
    if q := q.strip().replace("\x00", ""):
        leads = leads.filter(
            Q(email_normalized__contains=q.lower())
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(company__icontains=q)
        )
    if status:
        leads = leads.filter(status=status)
    if list_id is not None:
        leads = leads.filter(
            lists=get_for_workspace_or_404(LeadList, request.workspace, pk=list_id)
        )
    if tag := tag.strip().lower().replace("\x00", ""):
        leads = leads.filter(tags__contains=f",{tag},")
    rows, next_cursor = page(leads, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": next_cursor}


@router.get("/leads/{int:lead_id}", response={200: LeadOut, **ERRORS}, summary="Get a lead")
def get_lead(request, lead_id: int):
    return get_for_workspace_or_404(Lead, request.workspace, pk=lead_id)


@router.post("/leads", response={201: LeadOut, **ERRORS}, summary="Create a lead")
def create_lead(request, body: LeadIn):
    try:
        data = lead_data_clean(
            email=body.email, fields=_fields(body), custom=body.custom, tags=body.tags
        )
        lead = lead_create(workspace=request.workspace, data=data, list_ids=body.list_ids)
    except LeadError as exc:
        raise _problem(exc) from exc
    except IntegrityError as exc:  # created at the same moment by another request
        raise ApiProblem(
            409, "conflict", "A lead with this address exists already.", field="email"
        ) from exc
    return Status(201, lead)


@router.patch("/leads/{int:lead_id}", response={200: LeadOut, **ERRORS}, summary="Update a lead")
def update_lead(request, lead_id: int, body: LeadPatch):
    lead = get_for_workspace_or_404(Lead, request.workspace, pk=lead_id)
    try:
        data = lead_data_clean(
            email=body.email if body.email is not None else lead.email,
            fields=_fields(body),
            custom=body.custom,
            tags=body.tags,
        )
        with transaction.atomic():
            return lead_update(lead=lead, data=data, status=body.status, list_ids=body.list_ids)
    except LeadError as exc:
        raise _problem(exc) from exc
    except IntegrityError as exc:
        raise ApiProblem(
            409, "conflict", "Another lead already has this address.", field="email"
        ) from exc


@router.delete("/leads/{int:lead_id}", response={204: None, **ERRORS}, summary="Delete a lead")
def delete_lead(request, lead_id: int):
    lead = get_for_workspace_or_404(Lead, request.workspace, pk=lead_id)
    lead.delete()  # its suppression entries stay: they belong to the workspace
    return HttpResponse(status=204)


@router.post(
    "/leads/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Create or update up to 1,000 leads by address",
    description="One result per row, in order. Invalid, duplicate and suppressed rows are "
    "reported and skipped; the others are written in one transaction.",
)
def bulk_upsert(request, body: BulkIn):
    lead_list = None
    if body.list_id is not None:
        lead_list = get_for_workspace_or_404(LeadList, request.workspace, pk=body.list_id)
    rows = [
        {"email": row.email, "fields": _fields(row), "custom": row.custom, "tags": row.tags}
        for row in body.leads
    ]
    try:
        results = leads_upsert(workspace=request.workspace, rows=rows, lead_list=lead_list)
    except LeadError as exc:
        raise _problem(exc) from exc
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("created", "updated")}
    return {
        "created": counts["created"],
        "updated": counts["updated"],
        "failed": len(results) - counts["created"] - counts["updated"],
        "results": results,
    }


@router.get("/lists", response={200: ListPage, **ERRORS}, tags=["lists"], summary="List lead lists")
def list_lists(
    request,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    rows, next_cursor = page(
        LeadList.objects.for_workspace(request.workspace), cursor=cursor, limit=limit
    )
    return {"data": rows, "next_cursor": next_cursor}


@router.post("/lists", response={201: ListOut, **ERRORS}, tags=["lists"], summary="Create a list")
def create_list(request, body: ListIn):
    name = body.name.strip().replace("\x00", "")
    if not name:
        raise ApiProblem(422, "invalid", "name: may not be blank.", field="name")
    try:
        with transaction.atomic():
            return Status(201, LeadList.objects.create(workspace=request.workspace, name=name))
    except IntegrityError as exc:
        raise ApiProblem(
            409, "conflict", "A list with this name exists already.", field="name"
        ) from exc


@router.get(
    "/lists/{int:list_id}", response={200: ListOut, **ERRORS}, tags=["lists"], summary="Get a list"
)
def get_list(request, list_id: int):
    return get_for_workspace_or_404(LeadList, request.workspace, pk=list_id)


@router.get(
    "/custom-fields",
    response={200: CustomFields, **ERRORS},
    tags=["leads"],
    summary="Custom field names used by the workspace's leads",
)
def custom_fields(request):
    table = Lead._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT k FROM {table}, jsonb_object_keys({table}.custom) AS k "
            f"WHERE {table}.workspace_id = %s AND jsonb_typeof({table}.custom) = 'object' "
            "ORDER BY k"
        )
    else:
        sql = (
            f"SELECT DISTINCT j.key FROM {table}, json_each({table}.custom) AS j "
            f"WHERE {table}.workspace_id = %s AND json_type({table}.custom) = 'object' "
            "ORDER BY j.key"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [request.workspace.pk])
        return {"data": [row[0] for row in cursor.fetchall()]}


__all__ = ["router", "Error"]
