"""Reports about our mail that come back to a mailbox: bounces (read by `bounce_reading.py`,
classified by `failure_kinds.py`) and spam complaints (ARF feedback reports, RFC 5965, and
feedback loops' forwards). Whatever a report names, what is suppressed is only ever the
recipient of one of our messages (docs/INBOX.md)."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, replace
from email.message import Message
from email.utils import getaddresses

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from api import events as webhook_events
from campaigns.inbox.auto_replies import is_auto_reply
from campaigns.inbox.bounce_reading import (
    Failure,
    candidate,
    quoted_message_ids,
    report_failure,
    report_failures,
)
from campaigns.inbox.mail_reading import header, sender
from campaigns.inbox.sender_refusals import sender_refusals_record
from campaigns.leads.suppression import suppressions_add
from campaigns.leads.unsubscribe import unsubscribe
from campaigns.lifecycle import enrollments_explain, enrollments_stop, messages_promote
from campaigns.models import (
    Event,
    Lead,
    OutboundMessage,
    Reply,
    StopReason,
    Suppression,
    normalize_email,
)
from campaigns.sending.bounce_guard import pause_on_bounces
from campaigns.stats import Tally
from core.text import storable
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

TEMPORARY_LIMIT = 3  # temporary bounces of one address before it is suppressed
_BOUNCE_SENDER = re.compile(r"(?:^|[<\s\"])(mailer-daemon|postmaster|mail-daemon)@", re.I)
# No Message-ID or address holds a control character; a damaged report's may (PostgreSQL refuses
# a NUL in a query), and then it names none of our messages or leads.
DETECTORS_READ_AT_MOST = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

State = OutboundMessage.State
# What mail can come back about: messages that went out, and `unknown` ones (interrupted
# while sending), which a reply or report proves went out (`messages_promote`).
ANSWERABLE = OutboundMessage.ANSWERABLE


def answerable_to_leads(mailbox: Mailbox, lead_ids, *, since: datetime.datetime | None = None):
    """The mailbox's messages to these leads that went out or may have, the latest first."""
    found = OutboundMessage.objects.filter(
        mailbox=mailbox, state__in=ANSWERABLE, enrollment__lead_id__in=list(lead_ids)
    )
    if since is not None:
        found = found.filter(Q(sent_at__gte=since) | Q(sent_at=None, sending_at__gte=since))
    return found.order_by(Coalesce("sent_at", "sending_at").desc(), "-pk")


# --- spam complaints (ARF, RFC 5965) ----------------------------------------------------------


def report_type(parsed: Message) -> str:
    if parsed.get_content_type() != "multipart/report":
        return ""
    return (parsed.get_param("report-type") or "").lower()


# Feedback loops that do not send a multipart/report (Microsoft's JMRP forwards the message as
# an attachment; some wrap the ARF part in multipart/mixed): known by who sends them and how
# they title it.
_COMPLAINT_SENDER = re.compile(
    r"(?:feedback[-_.]?loop|\bfbl\b|fbl[-_.@]|scomp@|staff@hotmail|complaints?@|arf@|"
    r"abuse[-_.]?report|feedbackloop)",
    re.IGNORECASE,
)
_COMPLAINT_SUBJECT = re.compile(
    r"(?:complaint about message|abuse report|fbl report|feedback report|spam report|"
    r"email abuse report|this is a spam report|junk mail report)",
    re.IGNORECASE,
)


def looks_like_complaint(parsed: Message) -> bool:
    """A feedback-loop report, judged on its header fields alone (the sync's first look)."""
    if report_type(parsed) == "feedback-report":
        return True
    senders = f"{parsed.get('From', '')} {parsed.get('Sender', '')}"
    return bool(_COMPLAINT_SENDER.search(senders)) and bool(
        _COMPLAINT_SUBJECT.search(header(parsed, "Subject"))
        or parsed.get_content_maintype() == "multipart"
    )


def is_complaint(parsed: Message) -> bool:
    """A feedback-loop report: an ARF report, an ARF part inside another multipart, or a known
    loop's forward of the complained-about message."""
    if report_type(parsed) == "feedback-report":
        return True
    if not parsed.is_multipart():
        return False
    kinds = {part.get_content_type() for part in parsed.walk()}
    if "message/feedback-report" in kinds:
        return True
    return looks_like_complaint(parsed) and bool(kinds & {"message/rfc822", "text/rfc822-headers"})


def complaint(
    mailbox: Mailbox, parsed: Message, raw: bytes, fingerprint: str, at: datetime.datetime
) -> str | None:
    """A mailbox provider forwards a recipient's "this is spam": they hear from us no more.
    Our message is found by the Message-ID the report returns, else by the complaining address
    (`complained_addresses`); what is suppressed is that message's recipient."""
    ids = quoted_message_ids(parsed, raw)
    addresses = complained_addresses(parsed, raw, own=own_addresses(mailbox)) or [""]
    found = _reported_messages(mailbox, [(ids, address) for address in addresses])
    message = next((m for m in found if m is not None), None)
    if message is None:
        return None
    reply, created = _report(message, parsed, fingerprint, at, kind=Reply.Kind.COMPLAINT)
    if created:  # (`unsubscribe` also records the message as delivered, if it was in doubt)
        unsubscribe(message, reason=Suppression.Reason.COMPLAINT)
    return reply.kind


# Where feedback loops put the complaining recipient: RFC 5965's fields, Microsoft's JMRP and
# SNDS headers, and the returned message's own To.
_COMPLAINT_FIELDS = re.compile(
    rb"(?im)^[ \t]*(?:original-rcpt-to|removal-recipient|x-hmxmroriginalrecipient|"
    rb"x-original-to|delivered-to|to)[ \t]*:[ \t]*([^\r\n]{1,500})"
)


def complained_addresses(parsed: Message, raw: bytes, *, own: frozenset[str]) -> list[str]:
    """The valid candidate addresses a complaint report names for the recipient, in order."""
    found: list[str] = []
    head_end = raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")
    for match in _COMPLAINT_FIELDS.finditer(raw[:DETECTORS_READ_AT_MOST]):
        if 0 <= match.start() < head_end:
            continue  # the report's own header: its To is our mailbox, its name the provider
        for _name, value in getaddresses([match.group(1).decode("utf-8", "replace")]):
            address = candidate(value, own=own)
            if address and address not in found:
                found.append(address)
    return found


def own_addresses(mailbox: Mailbox) -> frozenset[str]:
    """What a report may name that is never a recipient: the mailbox's own addresses."""
    return frozenset(
        a.lower() for a in (mailbox.email, mailbox.smtp_username, mailbox.imap_username) if a
    )


# --- bounces ------------------------------------------------------------------------------------


def looks_like_bounce(parsed: Message) -> bool:
    """A report's shape or a mail daemon's sender; a null Return-Path only when the mail is no
    auto-reply (RFC 3834 asks auto-responders for one too)."""
    if parsed.get_content_type() == "multipart/report":
        return True
    # The From (or Sender) header as written: no address parsing for the common case, mail
    # from anyone else (this runs on every header the inbox sync sees).
    senders = f"{parsed.get('From', '')} {parsed.get('Sender', '')}"
    if _BOUNCE_SENDER.search(senders):
        return True
    return header(parsed, "Return-Path") == "<>" and not is_auto_reply(parsed)


@dataclass
class Report:
    """A mail of the batch that reads as a bounce report."""

    index: int
    parsed: Message
    raw: bytes
    fingerprint: str
    at: datetime.datetime


def bounces(mailbox: Mailbox, reports: list[Report]) -> dict[int, str | None]:
    """A batch's bounce reports at once: each failure tied to our message (by a Message-ID the
    report quotes, else the latest message to a failed address that is one of our leads),
    kept once per report and message, and acted on by whose fault it is
    (`campaigns/inbox/failure_kinds.py`): a recipient-side failure, or the TEMPORARY_LIMIT-th
    temporary one of an address, suppresses the message's recipient — never anything else the
    report names —, marks the lead bounced and stops its sequence; a sender-side refusal never
    touches the lead and counts against the mailbox (`campaigns/inbox/sender_refusals.py`). A fixed
    number of statements for the batch. Returns each report's kind (None: about none of our
    messages)."""
    own = own_addresses(mailbox)
    wanted: list[tuple[list[str], str]] = []
    owners: list[tuple[Report, Failure | None]] = []
    for report in reports:
        ids = quoted_message_ids(report.parsed, report.raw)
        failures = report_failures(report.parsed, report.raw, own=own)
        for failure in failures:
            wanted.append((ids, failure.address))
            owners.append((report, failure))
        if not failures and ids:  # no address in words: the quoted Message-ID says whose
            wanted.append((ids, ""))
            owners.append((report, None))
    messages = _reported_messages(mailbox, wanted)
    # One message per report — ours are sent to one recipient each: the one whose Message-ID
    # it quotes, else the first (in address order) of the leads it names; and of the failures
    # tied to it, the one naming its recipient.
    picked: dict[int, tuple[Report, Failure | None, OutboundMessage]] = {}
    for (report, failure), message in zip(owners, messages, strict=True):
        if message is None:
            continue
        chosen = picked.get(report.index)
        if chosen is not None and chosen[2].pk != message.pk:
            continue  # another of our messages already answers for this report
        names_it = failure is not None and failure.address == normalize_email(message.recipient)
        if chosen is None or names_it:
            picked[report.index] = (report, failure, message)
    known = set(
        Reply.objects.filter(
            message_id__in={message.pk for _r, _f, message in picked.values()},
            fingerprint__in={report.fingerprint for report in reports},
        ).values_list("message_id", "fingerprint")
    )
    kinds: dict[int, str | None] = {report.index: None for report in reports}
    new: list[Reply] = []
    for _index, (report, failure, message) in sorted(picked.items()):
        kinds[report.index] = Reply.Kind.BOUNCE
        if (message.pk, report.fingerprint) in known:  # read before, or twice in the batch
            continue
        known.add((message.pk, report.fingerprint))
        if failure is None or (not failure.status and failure.permanent is None):
            # Nothing said of this address itself: what the report says as a whole.
            overall = report_failure(report.parsed, report.raw)
            failure = overall if failure is None else replace(overall, address=failure.address)
        verdict = failure.verdict
        reply = _report_reply(
            message, report.parsed, report.fingerprint, report.at, kind=Reply.Kind.BOUNCE
        )
        reply.permanent = verdict.suppresses_on_first
        reply.failure, reply.failure_cause = verdict.side.value, verdict.cause.value
        reply.status_code = failure.status[:12]
        reply.text = storable(" ".join(failure.text.split()))[:2000]  # what it said, for review
        new.append(reply)
    with transaction.atomic():
        messages_promote([reply.message for reply in new])
        Reply.objects.bulk_create(new)
        _act_on_bounces(mailbox, [r for r in new if r.failure != Reply.Failure.SENDER])
        pause_on_bounces({reply.message.enrollment.campaign_id for reply in new})
        sender_refusals_record(
            mailbox=mailbox, refusals=[r for r in new if r.failure == Reply.Failure.SENDER]
        )
    return kinds


def _reported_messages(
    mailbox: Mailbox, wanted: list[tuple[list[str], str]]
) -> list[OutboundMessage | None]:
    """For each (quoted Message-IDs, address) of a report: our sent message it is about — by a
    quoted Message-ID, else the latest to the address. Four queries whatever the number, each
    by one index (the message id; the leads' unique normalised address): combined filters made
    SQLite scan the mailbox's messages."""
    by_id = {
        message_id: pk
        for message_id, pk, box, state in OutboundMessage.objects.filter(
            message_id__in={i for ids, _address in wanted for i in ids}
        ).values_list("message_id", "pk", "mailbox_id", "state")
        if box == mailbox.pk and state in ANSWERABLE
    }
    chosen = [next((by_id[i] for i in ids if i in by_id), None) for ids, _address in wanted]
    addresses = {
        n: normalize_email(address)
        for n, (_ids, address) in enumerate(wanted)
        if chosen[n] is None and address and not _CONTROL.search(address)  # none of our leads
    }
    if addresses:
        leads = dict(
            Lead.objects.filter(
                workspace_id=mailbox.workspace_id, email_normalized__in=set(addresses.values())
            ).values_list("email_normalized", "pk")
        )
        latest: dict[int, int] = {}
        for pk, lead_id in answerable_to_leads(mailbox, leads.values()).values_list(
            "pk", "enrollment__lead_id"
        ):
            latest.setdefault(lead_id, pk)
        for n, address in addresses.items():
            chosen[n] = latest.get(leads.get(address))
    loaded = OutboundMessage.objects.select_related("enrollment__campaign__workspace").in_bulk(
        {pk for pk in chosen if pk is not None}
    )
    return [loaded.get(pk) if pk is not None else None for pk in chosen]


def _act_on_bounces(mailbox: Mailbox, replies: list[Reply]) -> None:
    """Inside the batch's transaction, after its reports were stored. What is suppressed is
    the recipient of our message, whatever address the report named."""
    new = [(reply, normalize_email(reply.message.recipient)) for reply in replies]
    temporary = {r for reply, r in new if not reply.permanent}
    counts = dict(
        Reply.objects.filter(
            kind=Reply.Kind.BOUNCE,
            failure__in=(Reply.Failure.TEMPORARY, Reply.Failure.RECIPIENT, ""),
            message__enrollment__lead__workspace_id=mailbox.workspace_id,
            message__enrollment__lead__email_normalized__in=temporary,
        )
        .values_list("message__enrollment__lead__email_normalized")
        .annotate(n=Count("pk"))
        if temporary
        else []
    )
    acted = [
        (reply, recipient)
        for reply, recipient in new
        if reply.permanent or counts.get(normalize_email(recipient), 0) >= TEMPORARY_LIMIT
    ]
    if not acted:
        return
    tally = Tally()
    messages = {reply.message.pk: reply for reply, _recipient in acted}
    returned = set(
        Event.objects.filter(message_id__in=messages, kind=Event.Kind.BOUNCE).values_list(
            "message_id", flat=True
        )
    )
    events = []
    for pk, reply in messages.items():
        if pk not in returned:  # once per message
            message, at = reply.message, reply.received_at
            events.append(Event(message=message, kind=Event.Kind.BOUNCE, created_at=at))
            webhook_events.email_bounced(
                mailbox.workspace_id,
                message,
                permanent=reply.permanent,
                reason=reply.text or reply.subject,
                during="report",
            )
            tally.message(message.enrollment.campaign_id, message, "returned", at=at)
    Event.objects.bulk_create(events)
    # Each with what the report said, for whoever reviews it (an owner or admin may remove a
    # bounce they believe was read wrong).
    by_note: dict[str, list[str]] = {}
    for reply, recipient in acted:
        said = (
            reply.text if reply.status_code in reply.text else f"{reply.status_code} {reply.text}"
        )
        said = said.strip() or reply.subject
        prefix = _("bounced") if reply.permanent else _("repeated temporary bounces")
        by_note.setdefault(f"{prefix}: {said}"[:200], []).append(recipient)
    for note, entries in by_note.items():
        suppressions_add(
            workspace=mailbox.workspace,
            entries=entries,
            reason=Suppression.Reason.HARD_BOUNCE,
            note=note,
        )
    enrollment_ids = {reply.message.enrollment_id for reply, _r in acted}
    Lead.objects.filter(pk__in={reply.message.enrollment.lead_id for reply, _r in acted}).update(
        status=Lead.Status.BOUNCED
    )
    enrollments_stop(enrollments=enrollment_ids, reason=StopReason.BOUNCED, tally=tally)
    enrollments_explain([reply.message.enrollment for reply, _r in acted], StopReason.BOUNCED)
    tally.save()


def _report(message, parsed: Message, fingerprint: str, at, *, kind: str):
    """The report kept with the message it is about, once: (reply, created)."""
    reply = _report_reply(message, parsed, fingerprint, at, kind=kind)
    fields = ("kind", "label", "received_at", "from_address", "subject", "permanent")
    return Reply.objects.get_or_create(
        message=message,
        fingerprint=fingerprint,
        defaults={name: getattr(reply, name) for name in fields},
    )


def _report_reply(message, parsed: Message, fingerprint: str, at, *, kind: str, permanent=False):
    complaint = kind == Reply.Kind.COMPLAINT
    return Reply(
        message=message,
        fingerprint=fingerprint,
        kind=kind,
        label=Reply.Label.UNSUBSCRIBE if complaint else Reply.Label.BOUNCE,
        received_at=at,
        from_address=sender(parsed),
        subject=header(parsed, "Subject")[:1000],
        permanent=permanent,
    )
