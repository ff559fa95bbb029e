"""Replies: the inbox with its filters, a conversation, relabelling, answering in the thread."""

from __future__ import annotations

import datetime

from ninja import Field, Query, Router, Schema, Status

from api.core import ERRORS, MAX_LIMIT, ApiProblem, page
from campaigns.inbox.services import AnswerError, reply_answer, reply_relabel, reply_thread
from campaigns.models import Campaign, Reply
from core.tenancy import get_for_workspace_or_404

router = Router(tags=["replies"])


class ReplyOut(Schema):
    id: int
    kind: str
    label: str
    labelled_by_user: bool
    received_at: datetime.datetime
    read: bool
    from_address: str
    subject: str
    text: str
    campaign_id: int
    lead_id: int
    lead_email: str
    message_id: int


class ReplyPage(Schema):
    data: list[ReplyOut]
    next_cursor: str | None


class ThreadItem(Schema):
    direction: str = Field(description="sent (a campaign step), received, or answered")
    at: datetime.datetime | None
    subject: str
    text: str
    id: int


class Conversation(Schema):
    reply: ReplyOut
    thread: list[ThreadItem]


class LabelIn(Schema):
    label: Reply.Label


class AnswerIn(Schema):
    body: str = Field(..., min_length=1, max_length=50_000)
    subject: str = Field("", max_length=300)


class AnswerOut(Schema):
    id: int
    to: str
    subject: str
    message_id: str
    sent_at: datetime.datetime


def _out(reply: Reply) -> dict:
    enrollment = reply.message.enrollment
    return {
        "id": reply.pk,
        "kind": reply.kind,
        "label": reply.label,
        "labelled_by_user": reply.labelled_by_user,
        "received_at": reply.received_at,
        "read": reply.read_at is not None,
        "from_address": reply.from_address,
        "subject": reply.subject,
        "text": reply.text,
        "campaign_id": enrollment.campaign_id,
        "lead_id": enrollment.lead_id,
        "lead_email": enrollment.lead.email,
        "message_id": reply.message_id,
    }


def _reply(request, reply_id: int) -> Reply:
    return get_for_workspace_or_404(
        Reply.objects.select_related("message__enrollment__lead", "message__mailbox"),
        request.workspace,
        pk=reply_id,
    )


@router.get("/replies", response={200: ReplyPage, **ERRORS}, summary="List replies")
def list_replies(
    request,
    label: Reply.Label | None = None,
    kind: Reply.Kind | None = None,
    campaign_id: int | None = None,
    unread: bool | None = None,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    replies = Reply.objects.for_workspace(request.workspace).select_related(
        "message__enrollment__lead"
    )
    if label:
        replies = replies.filter(label=label)
    if kind:
        replies = replies.filter(kind=kind)
    if campaign_id is not None:
        campaign = get_for_workspace_or_404(Campaign, request.workspace, pk=campaign_id)
        replies = replies.filter(message__enrollment__campaign=campaign)
    if unread is not None:
        replies = replies.filter(read_at__isnull=unread)
    rows, next_cursor = page(replies, cursor=cursor, limit=limit)
    return {"data": [_out(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/replies/{int:reply_id}",
    response={200: Conversation, **ERRORS},
    summary="Get a reply with the lead's whole conversation in its campaign",
)
def get_reply(request, reply_id: int):
    reply = _reply(request, reply_id)
    thread = []
    for direction, item in reply_thread(reply):
        if direction == "sent":
            at, subject, text = item.sent_at, item.subject, item.body_text
        elif direction == "received":
            at, subject, text = item.received_at, item.subject, item.text
        else:
            at, subject, text = item.sent_at, item.subject, item.body_text
        thread.append(
            {"direction": direction, "at": at, "subject": subject, "text": text, "id": item.pk}
        )
    return {"reply": _out(reply), "thread": thread}


@router.post(
    "/replies/{int:reply_id}/label",
    response={200: ReplyOut, **ERRORS},
    summary="Relabel a reply (unsubscribe unsubscribes the lead)",
)
def relabel(request, reply_id: int, body: LabelIn):
    reply = _reply(request, reply_id)
    reply_relabel(reply, body.label)
    reply.refresh_from_db()
    return _out(reply)


@router.post(
    "/replies/{int:reply_id}/answer",
    response={201: AnswerOut, **ERRORS},
    summary="Answer through the same mailbox, in the same thread",
)
def answer(request, reply_id: int, body: AnswerIn):
    reply = _reply(request, reply_id)
    if not body.body.strip():
        raise ApiProblem(422, "invalid", "body: may not be blank.", field="body")
    try:
        sent = reply_answer(
            reply,
            subject=body.subject.replace("\x00", ""),
            body=body.body.replace("\x00", ""),
            user=getattr(request.api_key, "created_by", None),
        )
    except AnswerError as exc:
        raise ApiProblem(409, "not_sent", str(exc)) from exc
    return Status(201, sent)
