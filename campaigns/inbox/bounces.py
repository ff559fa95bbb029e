"""Reports about our mail that come back to a mailbox: bounces (delivery status notifications,
read with `flufl.bounce`) and spam complaints (ARF feedback reports, RFC 5965)."""

from __future__ import annotations

import datetime
import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from flufl.bounce._scan import _DETECTORS as BOUNCE_DETECTORS

from campaigns.inbox.mail_reading import header, sender
from campaigns.leads.suppression import suppressions_add
from campaigns.leads.unsubscribe import unsubscribe
from campaigns.models import (
    Enrollment,
    Event,
    Lead,
    OutboundMessage,
    Reply,
    Suppression,
    normalize_email,
)
from campaigns.sending.bounce_guard import pause_on_bounces
from campaigns.sending.delivery import delivered_after_all, interrupted_ends
from campaigns.stats import Tally
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

TEMPORARY_LIMIT = 3  # temporary bounces of one address before it is suppressed
_BOUNCE_SENDER = re.compile(r"(?:^|[<\s\"])(mailer-daemon|postmaster|mail-daemon)@", re.I)
# No Message-ID or address holds a control character; a damaged report's may (PostgreSQL refuses
# a NUL in a query), and then it names none of our messages or leads.
_QUOTED_ID = re.compile(rb"(?im)^message-id:\s*(<[^>\x00-\x20\x7f]+>)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

State = OutboundMessage.State
# What mail can come back about: messages that went out, and `unknown` ones (interrupted
# while sending), which a reply or report proves went out (`delivered_after_all`).
ANSWERABLE = (State.SENT, State.UNKNOWN)


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


def complaint(
    mailbox: Mailbox, parsed: Message, raw: bytes, fingerprint: str, at: datetime.datetime
) -> str | None:
    """A mailbox provider forwards a recipient's "this is spam": they hear from us no more."""
    recipient = next(
        (
            value.decode("utf-8", "replace").strip().strip("<>").lower()
            for value in re.findall(rb"(?im)^original-rcpt-to:\s*(\S+)", raw)
        ),
        "",
    )
    [message] = _reported_messages(mailbox, [(_quoted_ids(raw), recipient)])
    if message is None:
        return None
    reply, created = _report(message, parsed, fingerprint, at, kind=Reply.Kind.COMPLAINT)
    if created:  # (`unsubscribe` also records the message as delivered, if it was in doubt)
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


@dataclass
class Report:
    """A mail of the batch that reads as a bounce report."""

    index: int
    parsed: Message
    raw: bytes
    fingerprint: str
    at: datetime.datetime


def bounces(mailbox: Mailbox, reports: list[Report]) -> dict[int, str | None]:
    """A batch's bounce reports at once: each failure tied to our message (by the Message-ID
    the report quotes, else the latest message to the failed address), kept once per report
    and message, and acted on — a permanent failure, or the TEMPORARY_LIMIT-th temporary one of
    an address, suppresses it, marks the lead bounced and stops its sequence. A fixed number of
    statements for the batch. Returns each report's kind (None: about none of our messages)."""
    failures = [(report, failure) for report in reports for failure in _failures(report)]
    messages = _reported_messages(
        mailbox, [(_quoted_ids(report.raw), address) for report, (address, _p) in failures]
    )
    known = set(
        Reply.objects.filter(
            message_id__in={m.pk for m in messages if m is not None},
            fingerprint__in={report.fingerprint for report in reports},
        ).values_list("message_id", "fingerprint")
    )
    kinds: dict[int, str | None] = {report.index: None for report in reports}
    new: dict[tuple[int, str], tuple[Reply, str]] = {}
    for (report, (recipient, permanent)), message in zip(failures, messages, strict=True):
        if message is None:
            continue
        kinds[report.index] = Reply.Kind.BOUNCE
        key = (message.pk, report.fingerprint)
        if key in known or key in new:  # read before, or two addresses of one report
            continue
        reply = _report_reply(message, report.parsed, report.fingerprint, report.at,
                              kind=Reply.Kind.BOUNCE, permanent=permanent)  # fmt: skip
        new[key] = (reply, recipient)
    with transaction.atomic():
        delivered_after_all([reply.message for reply, _recipient in new.values()])
        Reply.objects.bulk_create([reply for reply, _recipient in new.values()])
        _act_on_bounces(mailbox, list(new.values()))
        pause_on_bounces({reply.message.enrollment.campaign_id for reply, _r in new.values()})
    return kinds


# flufl.bounce's detectors take ~12 µs a line: a report padded to the 10 MB the sync reads
# whole held the worker for minutes. What they need comes first (the human-readable part and
# the delivery status); the returned message, after them, may be any size.
DETECTORS_READ_AT_MOST = 256 * 1024


def _failures(report: Report) -> list[tuple[str, bool]]:
    """(address, permanent) for each failure the report names; none if it cannot be read."""
    parsed = report.parsed
    if len(report.raw) > DETECTORS_READ_AT_MOST:
        head = report.raw[:DETECTORS_READ_AT_MOST]
        parsed = email.message_from_bytes(head, policy=email.policy.compat32)
    temporary, permanent = _detected(parsed)
    failed = [(a, True) for a in permanent] + [(a, False) for a in temporary - permanent]
    return [(a.decode("utf-8", "replace").strip().lower(), p) for a, p in failed]


def _detected(parsed: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(temporary, permanent) failures by the first of flufl.bounce's detectors that finds
    any, as its `all_failures` does, except that a detector raising is skipped. Upstream
    re-raises, so one heuristic choking on a report stopped every detector after it: the
    Sina detector calls `.lower()` on a From header that holds raw UTF-8 (a Header object),
    and Yale's indexes an empty address list, so a qmail or Postfix bounce from such a host
    was never read and the address never suppressed."""
    for detector in BOUNCE_DETECTORS:
        try:
            temporary, permanent = detector().process(parsed)
        except Exception:
            logger.info("Bounce detector %s failed on a report", detector.__name__, exc_info=True)
            continue
        if temporary or permanent:
            return frozenset(temporary), frozenset(permanent)
    return frozenset(), frozenset()


def _quoted_ids(raw: bytes) -> list[str]:
    """The Message-IDs a report quotes (the returned message's own, when it quotes its headers)."""
    return [value.decode("ascii", "replace") for value in _QUOTED_ID.findall(raw)[-5:]]


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


def _act_on_bounces(mailbox: Mailbox, new: list[tuple[Reply, str]]) -> None:
    """Inside the batch's transaction, after its reports were stored."""
    temporary = {normalize_email(r) for reply, r in new if not reply.permanent}
    counts = dict(
        Reply.objects.filter(
            kind=Reply.Kind.BOUNCE,
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
            tally.message(message.enrollment.campaign_id, message, "returned", at=at)
    Event.objects.bulk_create(events)
    for permanent in (True, False):
        suppressions_add(
            workspace=mailbox.workspace,
            entries=[r for reply, r in acted if reply.permanent == permanent],
            reason=Suppression.Reason.HARD_BOUNCE,
            note="bounced" if permanent else "repeated temporary bounces",
        )
    enrollment_ids = {reply.message.enrollment_id for reply, _r in acted}
    Lead.objects.filter(pk__in={reply.message.enrollment.lead_id for reply, _r in acted}).update(
        status=Lead.Status.BOUNCED
    )
    active = Enrollment.objects.select_for_update().filter(
        pk__in=enrollment_ids, status=Enrollment.Status.ACTIVE
    )
    for campaign_id in active.values_list("campaign_id", flat=True):
        tally.add(campaign_id, "stopped")
    active.update(status=Enrollment.Status.STOPPED, stop_reason="bounced", next_due_at=None)
    interrupted_ends([reply.message.enrollment for reply, _r in acted], "bounced")
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
