"""The suppression list: addresses and domains never mailed."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from accounts.models import Membership
from api.core import ERRORS, MAX_LIMIT, ApiProblem, page
from campaigns.leads.suppression import SuppressionError, suppression_add, suppression_remove
from campaigns.models import Suppression
from core.tenancy import get_for_workspace_or_404

router = Router(tags=["suppressions"])


class SuppressionOut(Schema):
    id: int
    kind: str
    value: str = Field(
        description="Empty when the address was erased on request (its hash still suppresses)"
    )
    reason: str
    note: str
    created_at: datetime.datetime


class SuppressionPage(Schema):
    data: list[SuppressionOut]
    next_cursor: str | None


class SuppressionIn(Schema):
    entry: str = Field(..., max_length=254, description="name@company.com or company.com")
    note: str = Field("", max_length=200)


class SuppressionAdded(SuppressionOut):
    created: bool


@router.get("/suppressions", response={200: SuppressionPage, **ERRORS}, summary="List suppressions")
def list_suppressions(
    request,
    kind: Suppression.Kind | None = None,
    reason: Suppression.Reason | None = None,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    rows = Suppression.objects.for_workspace(request.workspace)
    if kind:
        rows = rows.filter(kind=kind)
    if reason:
        rows = rows.filter(reason=reason)
    data, next_cursor = page(rows, cursor=cursor, limit=limit)
    return {"data": data, "next_cursor": next_cursor}


@router.post(
    "/suppressions",
    response={200: SuppressionAdded, 201: SuppressionAdded, **ERRORS},
    summary="Suppress an address or a domain",
    description="201 when added, 200 when it was suppressed already (the entry is kept).",
)
def add_suppression(request, body: SuppressionIn):
    try:
        row, created = suppression_add(
            workspace=request.workspace,
            entry=body.entry.replace("\x00", ""),
            note=body.note.replace("\x00", ""),
        )
    except SuppressionError as exc:
        raise ApiProblem(422, "invalid", str(exc), field="entry") from exc
    row.created = created
    return Status(201 if created else 200, row)


@router.delete(
    "/suppressions/{int:suppression_id}",
    response={204: None, **ERRORS},
    summary="Remove a suppression",
    description="Manual entries with any key; a domain suppressed for a company or a bounce "
    "with a key made by an owner or admin (the lead is active again). Unsubscribes and "
    "complaints are the recipient's word: 409 not_removable.",
)
def remove_suppression(request, suppression_id: int):
    row = get_for_workspace_or_404(Suppression, request.workspace, pk=suppression_id)
    # A key acts with the role of the person who created it, while they are a member.
    key = request.api_key
    membership = Membership.objects.filter(workspace=key.workspace, user=key.created_by).first()
    try:
        suppression_remove(suppression=row, membership=membership, request=request)
    except SuppressionError as exc:
        raise ApiProblem(409, "not_removable", str(exc)) from exc
    return HttpResponse(status=204)
