"""Mailboxes: health and today's capacity; pause and resume."""

from __future__ import annotations

import datetime

from ninja import Query, Router, Schema

from api.core import ERRORS, MAX_LIMIT, ApiProblem, page
from core.tenancy import get_for_workspace_or_404
from smtp_accounts.models import Mailbox
from smtp_accounts.services import MailboxNotResumable, mailbox_pause, mailbox_resume

router = Router(tags=["mailboxes"])


class Health(Schema):
    sending: str  # ok | paused | error
    reason: str
    consecutive_failures: int
    last_test_ok: bool | None
    last_test_at: datetime.datetime | None
    reading: str  # ok | error | not_configured | never
    reading_error: str
    last_read_at: datetime.datetime | None


class Today(Schema):
    sent: int
    capacity: int
    remaining: int
    warmup_day: int | None


class MailboxOut(Schema):
    id: int
    email: str
    from_name: str
    provider: str
    status: str
    daily_cap: int
    hourly_cap: int
    health: Health
    today: Today
    created_at: datetime.datetime


class MailboxPage(Schema):
    data: list[MailboxOut]
    next_cursor: str | None


class PauseIn(Schema):
    reason: str = ""


def _out(mailbox: Mailbox) -> dict:
    today = mailbox.today()
    if mailbox.status == Mailbox.Status.ACTIVE:
        sending = "ok"
    else:
        sending = "error" if mailbox.status == Mailbox.Status.PAUSED_BY_ERROR else "paused"
    if not mailbox.imap_host:
        reading = "not_configured"
    elif mailbox.imap_failures:
        reading = "error"
    else:
        reading = "ok" if mailbox.imap_synced_at else "never"
    return {
        **{f: getattr(mailbox, f) for f in ("id", "email", "from_name", "provider", "status")},
        "daily_cap": mailbox.daily_cap,
        "hourly_cap": mailbox.hourly_cap,
        "created_at": mailbox.created_at,
        "health": {
            "sending": sending,
            "reason": mailbox.status_reason,
            "consecutive_failures": mailbox.consecutive_failures,
            "last_test_ok": mailbox.last_test_ok,
            "last_test_at": mailbox.last_test_at,
            "reading": reading,
            "reading_error": mailbox.imap_error,
            "last_read_at": mailbox.imap_synced_at,
        },
        "today": {
            "sent": today["sent"],
            "capacity": today["cap"],
            "remaining": max(0, today["cap"] - today["sent"]),
            "warmup_day": today["warmup_day"],
        },
    }


@router.get("/mailboxes", response={200: MailboxPage, **ERRORS}, summary="List mailboxes")
def list_mailboxes(
    request,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    rows, next_cursor = page(
        Mailbox.objects.for_workspace(request.workspace), cursor=cursor, limit=limit
    )
    return {"data": [_out(m) for m in rows], "next_cursor": next_cursor}


@router.get(
    "/mailboxes/{int:mailbox_id}", response={200: MailboxOut, **ERRORS}, summary="Get a mailbox"
)
def get_mailbox(request, mailbox_id: int):
    return _out(get_for_workspace_or_404(Mailbox, request.workspace, pk=mailbox_id))


@router.post(
    "/mailboxes/{int:mailbox_id}/pause", response={200: MailboxOut, **ERRORS}, summary="Pause"
)
def pause_mailbox(request, mailbox_id: int, body: PauseIn | None = None):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=mailbox_id)
    reason = (body.reason if body else "").replace("\x00", "")[:300]
    return _out(mailbox_pause(mailbox=mailbox, reason=reason))


@router.post(
    "/mailboxes/{int:mailbox_id}/resume", response={200: MailboxOut, **ERRORS}, summary="Resume"
)
def resume_mailbox(request, mailbox_id: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=mailbox_id)
    try:
        return _out(mailbox_resume(mailbox=mailbox))
    except MailboxNotResumable as exc:
        raise ApiProblem(409, "not_connected", str(exc)) from exc
