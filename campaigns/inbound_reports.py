"""Reports about our mail that come back to a mailbox: bounces (delivery status notifications,
read with `flufl.bounce`) and spam complaints (ARF feedback reports, RFC 5965)."""

from __future__ import annotations

import datetime
import logging
import re
from email.message import Message

from django.db import transaction
from flufl.bounce import all_failures

from campaigns.mail_reading import header, sender
from campaigns.models import (
    Enrollment,
    Event,
    Lead,
    OutboundMessage,
    Reply,
    Suppression,
    normalize_email,
)
from campaigns.stats import Tally
from campaigns.suppression import suppression_add
from campaigns.unsubscribe import unsubscribe
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

TEMPORARY_LIMIT = 3  # temporary bounces of one address before it is suppressed
_BOUNCE_SENDER = re.compile(r"(?:^|[<\s\"])(mailer-daemon|postmaster|mail-daemon)@", re.I)
_QUOTED_ID = re.compile(rb"(?im)^message-id:\s*(<[^>\r\n]+>)")

State = OutboundMessage.State


def _sent_message(mailbox: Mailbox, ids: list[str], address: str) -> OutboundMessage | None:
    """Our sent message a report is about: by its quoted Message-ID, else the latest to the
    address. Each lookup by one index (the message id; the leads' unique normalised address):
    combined filters made SQLite scan the mailbox's messages."""
    pk = None
    if ids:
        rows = OutboundMessage.objects.filter(message_id__in=ids).values_list(
            "pk", "mailbox_id", "state"
        )
        pk = next(
            (pk for pk, box, state in rows if box == mailbox.pk and state == State.SENT), None
        )
    if pk is None and address:
        leads = list(
            Lead.objects.filter(
                workspace_id=mailbox.workspace_id, email_normalized=normalize_email(address)
            ).values_list("pk", flat=True)
        )
        if leads:
            pk = (
                OutboundMessage.objects.filter(
                    mailbox=mailbox, state=State.SENT, enrollment__lead_id__in=leads
                )
                .order_by("-sent_at")
                .values_list("pk", flat=True)
                .first()
            )
    if pk is None:
        return None
    return OutboundMessage.objects.select_related("enrollment__campaign__workspace").get(pk=pk)


# --- spam complaints (ARF, RFC 5965) ----------------------------------------------------------


def report_type(parsed: Message) -> str:
    if parsed.get_content_type() != "multipart/report":
        return ""
    return (parsed.get_param("report-type") or "").lower()


def complaint(
    mailbox: Mailbox, parsed: Message, raw: bytes, fingerprint: str, at: datetime.datetime
) -> str | None:
    """A mailbox provider forwards a recipient's "this is spam": they hear from us no more."""
    recipients = [
        value.decode("utf-8", "replace").strip().strip("<>").lower()
        for value in re.findall(rb"(?im)^original-rcpt-to:\s*(\S+)", raw)
    ]
    quoted = _QUOTED_ID.findall(raw)[-5:]
    original_ids = [value.decode("ascii", "replace") for value in quoted]
    message = _sent_message(mailbox, original_ids, recipients[0] if recipients else "")
    if message is None:
        return None
    reply, created = _report(message, parsed, fingerprint, at, kind=Reply.Kind.COMPLAINT)
    if created:
        unsubscribe(message, reason=Suppression.Reason.COMPLAINT)
    return reply.kind


# --- bounces ------------------------------------------------------------------------------------


def looks_like_bounce(parsed: Message) -> bool:
    if parsed.get_content_type() == "multipart/report":
        return True
    # The From (or Sender) header as written: no address parsing for the common case, mail
    # from anyone else (this runs on every header the inbox sync sees).
    senders = f"{parsed.get('From', '')} {parsed.get('Sender', '')}"
    return bool(_BOUNCE_SENDER.search(senders)) or header(parsed, "Return-Path") == "<>"


def bounce(
    mailbox: Mailbox, parsed: Message, raw: bytes, fingerprint: str, at: datetime.datetime
) -> str | None:
    try:
        temporary, permanent = all_failures(parsed)
    except Exception:  # a detector choking on a strange report must not stop the sync
        logger.exception("Could not read a bounce")
        return None
    failures = [(a, True) for a in permanent] + [(a, False) for a in temporary - permanent]
    # The returned message's own Message-ID, when the report quotes its headers.
    quoted = _QUOTED_ID.findall(raw)[-5:]
    original_ids = [value.decode("ascii", "replace") for value in quoted]
    kind = None
    for address, is_permanent in failures:
        recipient = address.decode("utf-8", "replace").strip().lower()
        message = _sent_message(mailbox, original_ids, recipient)
        if message is None:
            continue
        reply, created = _report(
            message, parsed, fingerprint, at, kind=Reply.Kind.BOUNCE, permanent=is_permanent
        )
        kind = reply.kind
        if created:
            _bounced(message, recipient, permanent=is_permanent, at=at)
    return kind


def _bounced(
    message: OutboundMessage, recipient: str, *, permanent: bool, at: datetime.datetime
) -> None:
    campaign = message.enrollment.campaign
    workspace = campaign.workspace
    if not permanent:
        earlier = Reply.objects.filter(
            message__enrollment__lead__workspace=workspace,
            message__enrollment__lead__email_normalized=normalize_email(recipient),
            kind=Reply.Kind.BOUNCE,
        ).count()
        if earlier < TEMPORARY_LIMIT:
            return
    with transaction.atomic():
        tally = Tally()
        if not Event.objects.filter(message=message, kind=Event.Kind.BOUNCE).exists():
            Event.objects.create(message=message, kind=Event.Kind.BOUNCE, created_at=at)
            tally.message(campaign.pk, message, "returned", at=at)  # once per message
        suppression_add(
            workspace=workspace,
            entry=recipient,
            reason=Suppression.Reason.HARD_BOUNCE,
            note=("bounced" if permanent else "repeated temporary bounces")[:200],
        )
        Lead.objects.filter(pk=message.enrollment.lead_id).update(status=Lead.Status.BOUNCED)
        stopped = Enrollment.objects.filter(
            pk=message.enrollment_id, status=Enrollment.Status.ACTIVE
        ).update(status=Enrollment.Status.STOPPED, stop_reason="bounced", next_due_at=None)
        tally.add(campaign.pk, "stopped", stopped)
        tally.save()


def _report(message, parsed: Message, fingerprint: str, at, *, kind: str, permanent=False):
    """The report kept with the message it is about, once: (reply, created)."""
    return Reply.objects.get_or_create(
        message=message,
        fingerprint=fingerprint,
        defaults={
            "kind": kind,
            "label": Reply.Label.UNSUBSCRIBE
            if kind == Reply.Kind.COMPLAINT
            else Reply.Label.BOUNCE,
            "received_at": at,
            "from_address": sender(parsed),
            "subject": header(parsed, "Subject")[:1000],
            "permanent": permanent,
        },
    )
