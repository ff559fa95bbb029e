"""Mail read back from a sending mailbox: tied to the campaign message it answers, then acted on.

`mail_receive` gets a fetched batch from the inbox sync (`smtp_accounts/imap_sync.py`) and
decides, for each mail, in this order (the rules in docs/INBOX.md; the reports in `bounces.py`,
the reading in `mail_reading.py` and `quotes.py`):
- a **spam complaint** (an ARF report, or a feedback loop's forward): the recipient of our
  message is suppressed as a complaint and every sequence of theirs stops;
- a **bounce** (a report about one of our messages, read by `bounce_reading.py`; an auto-reply
  with a null Return-Path is none): classified by `failure_kinds.py` — a recipient-side failure
  suppresses our message's recipient, marks the lead bounced and stops its sequence; temporary
  ones only count, and suppress after TEMPORARY_LIMIT of them; a sender-side refusal never
  touches the lead and counts against the mailbox (`sender_refusals.py`);
- an **auto-reply** (`auto_replies.py`: RFC 3834, `X-Auto-Response-Suppress`, vacation headers,
  subject prefixes) or an out-of-office in words: kept, not counted as a reply unless the
  campaign says so; when it names a return date, the lead's next follow-up waits until the day
  after;
- a **reply**: kept with its new text (quoted history, signature and our own footer removed) and
  a label from the built-in classifier (`ai.classifier.reply_classify`; a task refines it when
  the workspace has a remote AI provider), counted once, and it stops the lead's
  sequence (and the company's, when the campaign says so); "remove me" in words unsubscribes.
  A reply-style bounce (a failure subject, in the thread) is read as a bounce first.
Mail that answers none of our messages is not stored. Every outcome is idempotent: the same mail
read twice (a crash before the sync's checkpoint, two folders) is one `Reply`.
"""

from __future__ import annotations

import datetime
import email
import email.parser
import email.policy
import logging
import zoneinfo
from dataclasses import dataclass
from email.message import Message

import nh3
from django.db import transaction
from django.utils import timezone

from ai.classifier import reply_classify
from api import events as webhook_events
from campaigns.authoring.content import html_to_text
from campaigns.authoring.rendering import UNSUBSCRIBE_MAILTO_SUBJECT
from campaigns.inbox.auto_replies import is_auto_reply, reads_like_bounce
from campaigns.inbox.bounces import (
    ANSWERABLE,
    Report,
    answerable_to_leads,
    bounce_reports_handle,
    complaint_report_handle,
    is_complaint,
    looks_like_bounce,
    looks_like_complaint,
)
from campaigns.inbox.mail_reading import (
    HTML_READ_AT_MOST,
    MESSAGE_ID,
    bodies,
    fingerprint,
    header,
    new_text,
    sender,
    thread_subject,
)
from campaigns.inbox.out_of_office import return_date
from campaigns.inbox.quotes import footer_lines_of
from campaigns.inbox.services import replies_refine_later
from campaigns.leads.addresses import company_domain
from campaigns.leads.unsubscribe import recipient_unsubscribe
from campaigns.lifecycle import (
    enrollments_explain,
    enrollments_stop,
    messages_mark_first,
    messages_promote,
)
from campaigns.models import (
    Enrollment,
    Event,
    Lead,
    OutboundMessage,
    Reply,
    StopReason,
    normalize_email,
)
from campaigns.schedule import next_send_time, send_zone
from campaigns.stats import Tally
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

MATCH_BY_ADDRESS_WITHIN = datetime.timedelta(days=90)

State = OutboundMessage.State


def mail_receive_one(*, mailbox: Mailbox, raw: bytes, received_at: datetime.datetime) -> str | None:
    """Handle one incoming mail; returns the kind of Reply it made, or None (not ours)."""
    return mail_receive(mailbox=mailbox, items=[(raw, received_at)])[0]


@dataclass
class _Incoming:
    index: int
    parsed: Message
    fingerprint: str
    at: datetime.datetime


def mail_receive(
    *, mailbox: Mailbox, items: list[tuple[bytes, datetime.datetime]]
) -> list[str | None]:
    """Handle a batch of incoming mail with a fixed number of statements for its replies
    (bounce reports as a batch too; complaint reports, which are rare, one by one). Returns each
    mail's kind."""
    kinds: list[str | None] = [None] * len(items)
    incoming: list[_Incoming] = []
    reports: list[Report] = []
    maybe_replies: dict[int, _Incoming] = {}
    for index, (raw, at) in enumerate(items):
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        mark = fingerprint(parsed, raw)
        if is_complaint(parsed):  # rare: one by one
            kinds[index] = complaint_report_handle(
                mailbox=mailbox, parsed=parsed, raw=raw, fingerprint=mark, at=at
            )
        elif looks_like_bounce(parsed):
            reports.append(Report(index, parsed, raw, mark, at))
        elif reads_like_bounce(parsed) and not is_auto_reply(parsed):
            reports.append(Report(index, parsed, raw, mark, at))  # a bounce written as a reply?
            maybe_replies[index] = _Incoming(index, parsed, mark, at)
        else:
            incoming.append(_Incoming(index, parsed, mark, at))
    for index, kind in bounce_reports_handle(mailbox=mailbox, reports=reports).items():
        kinds[index] = kind
        if kind is None and index in maybe_replies:  # names no failure of ours: a reply after all
            incoming.append(maybe_replies[index])
    matched = [
        (mail, message)
        for mail, message in zip(incoming, _answered_batch(mailbox, incoming), strict=True)
        if message is not None
    ]
    known = {
        (message_id, fingerprint): kind
        for message_id, fingerprint, kind in Reply.objects.filter(
            message_id__in={message.pk for _mail, message in matched},
            fingerprint__in={mail.fingerprint for mail, _message in matched},
        ).values_list("message_id", "fingerprint", "kind")
    }
    new: list[tuple[Reply, OutboundMessage]] = []
    for mail, message in matched:
        key = (message.pk, mail.fingerprint)
        if key in known:  # read before (a crash, another folder): nothing happens twice
            kinds[mail.index] = known[key]
            continue
        reply = _reply(mail, message)
        known[key] = kinds[mail.index] = reply.kind
        new.append((reply, message))
    with transaction.atomic():
        messages_promote([message for _reply, message in new])
        Reply.objects.bulk_create([reply for reply, _message in new])
        replied = []
        for reply, message in new:
            away = reply.kind == Reply.Kind.AUTO_REPLY or reply.label == Reply.Label.OUT_OF_OFFICE
            if not away or message.enrollment.campaign.auto_reply_is_reply:
                replied.append((reply, message))
            elif reply.label == Reply.Label.OUT_OF_OFFICE:
                _wait_for_return(message, reply.text, reply.received_at)
        _replied(replied)
        webhook_events.replies_received(mailbox.workspace_id, new)
    for reply, message in new:
        if reply.label == Reply.Label.UNSUBSCRIBE:  # "remove me" in words: as good as the link
            recipient_unsubscribe(message=message)
    replies_refine_later(workspace=mailbox.workspace, replies=[reply for reply, _m in new])
    from campaigns.notices import replies_notify_interested

    replies_notify_interested(replies=[reply for reply, _message in new])
    return kinds


# The header fields `wanted_batch` reads (the sync fetches only these to judge a message).
JUDGED_ON = (
    "From",
    "Sender",
    "Reply-To",
    "Subject",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Return-Path",
)


def wanted_batch(mailbox: Mailbox, headers: list[bytes]) -> list[bool]:
    """Which mail of a batch is ours to read whole, judged on headers alone (the sync fetches
    bodies only for these): bounce and complaint reports, and mail answering one of our
    messages. The owner's other mail is never downloaded."""
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    parsed = [parser.parsebytes(head) for head in headers]
    wanted = [
        looks_like_bounce(p) or looks_like_complaint(p) or reads_like_bounce(p) for p in parsed
    ]
    rest = [_Incoming(n, p, "", timezone.now()) for n, p in enumerate(parsed) if not wanted[n]]
    for mail, message in zip(rest, _answered_batch(mailbox, rest, load=False), strict=True):
        wanted[mail.index] = message is not None
    return wanted


def _mailto_unsubscribe(thread: str) -> bool:
    """Whether a thread subject is the one our List-Unsubscribe mailto asks for: the lead's
    request to unsubscribe, whatever else the mail says or answers."""
    return thread == UNSUBSCRIBE_MAILTO_SUBJECT


def _reply(mail: _Incoming, message: OutboundMessage) -> Reply:
    parsed = mail.parsed
    auto = is_auto_reply(parsed)
    text, html = bodies(parsed)
    footer = footer_lines_of(html_to_text(message.enrollment.campaign.unsubscribe_footer or ""))
    subject, written = header(parsed, "Subject")[:1000], new_text(text, footer_lines=footer)
    return Reply(
        message=message,
        fingerprint=mail.fingerprint,
        kind=Reply.Kind.AUTO_REPLY if auto else Reply.Kind.REPLY,
        label=Reply.Label.UNSUBSCRIBE
        if _mailto_unsubscribe(thread_subject(subject))
        else reply_classify(text=written, subject=subject, auto=auto),
        header_message_id=(MESSAGE_ID.findall(header(parsed, "Message-ID")) or [""])[0],
        received_at=mail.at,
        from_address=sender(parsed),
        subject=subject,
        text=written,
        html=nh3.clean(html[:HTML_READ_AT_MOST], url_schemes={"http", "https", "mailto"})
        if html
        else "",
    )


# --- replies ------------------------------------------------------------------------------------


def _answered_batch(
    mailbox: Mailbox, incoming: list[_Incoming], *, load: bool = True
) -> list[OutboundMessage | int | None]:
    """Our message each mail answers: by its In-Reply-To/References, else by the sender's
    address and the thread's subject. Four queries for the whole batch (three and only the
    ids without `load`)."""
    wanted = [
        MESSAGE_ID.findall(f"{header(m.parsed, 'In-Reply-To')} {header(m.parsed, 'References')}")[
            -20:
        ]
        for m in incoming
    ]
    # By the message-id index alone: with the mailbox and state in the same query, SQLite
    # preferred the mailbox index and read every message of the mailbox.
    by_id = OutboundMessage.objects.filter(
        message_id__in={i for ids in wanted for i in ids}
    ).values_list("message_id", "pk", "mailbox_id", "state", "sent_at", "sending_at")
    ours = {
        message_id: (pk, sent_at or sending_at)
        for message_id, pk, mailbox_id, state, sent_at, sending_at in by_id
        if mailbox_id == mailbox.pk and state in ANSWERABLE
    }
    chosen: list[int | None] = []
    for ids in wanted:
        found = [ours[i] for i in ids if i in ours]
        chosen.append(max(found, key=lambda row: row[1])[0] if found else None)
    # The rest by sender and subject, through the leads' unique normalised-address index.
    senders = {
        n: normalize_email(address)
        for n, m in enumerate(incoming)
        if chosen[n] is None and (address := sender(m.parsed))
    }
    if senders:
        leads = dict(
            Lead.objects.filter(
                workspace_id=mailbox.workspace_id, email_normalized__in=set(senders.values())
            ).values_list("pk", "email_normalized")
        )
        since = timezone.now() - MATCH_BY_ADDRESS_WITHIN
        rows = (
            answerable_to_leads(mailbox, leads, since=since).values_list(
                "pk", "enrollment__lead_id", "subject"
            )
            if leads
            else []
        )
        by_address: dict[str, list] = {}
        for pk, lead_id, subject in rows:
            by_address.setdefault(leads[lead_id], []).append((pk, thread_subject(subject)))
        for n, address in senders.items():
            subject = thread_subject(header(incoming[n].parsed, "Subject"))
            sent = by_address.get(address, [])
            chosen[n] = next((pk for pk, theirs in sent if theirs == subject), None)
            if chosen[n] is None and _mailto_unsubscribe(subject) and sent:
                chosen[n] = sent[0][0]  # our List-Unsubscribe mailto: about the latest
    if not load:
        return chosen
    loaded = OutboundMessage.objects.select_related("enrollment__campaign").in_bulk(
        [pk for pk in chosen if pk is not None]
    )
    return [loaded.get(pk) if pk is not None else None for pk in chosen]


def _replied(pairs: list[tuple[Reply, OutboundMessage]]) -> None:
    """Replies counted once; each lead's sequence stops (and the company's, if the campaign
    says so). Inside the caller's transaction."""
    if not pairs:
        return
    Event.objects.bulk_create(
        Event(message=message, kind=Event.Kind.REPLY, created_at=reply.received_at)
        for reply, message in pairs
    )
    tally = Tally()
    firsts: dict[int, datetime.datetime] = {}
    for reply, message in pairs:
        firsts[message.pk] = min(firsts.get(message.pk, reply.received_at), reply.received_at)
    messages_mark_first(firsts, "replied_at", "replied", tally)
    Lead.objects.filter(
        pk__in={message.enrollment.lead_id for _reply, message in pairs},
        status=Lead.Status.ACTIVE,
    ).update(status=Lead.Status.REPLIED)
    stopping: set[int] = set()
    for _reply, message in pairs:
        campaign = message.enrollment.campaign
        if not campaign.stop_on_reply:
            continue
        company = company_domain(message.recipient) if campaign.stop_company_on_reply else None
        if company:
            stopping.update(
                Enrollment.objects.active()
                .filter(campaign=campaign, lead__email_normalized__endswith="@" + company)
                .values_list("pk", flat=True)
            )
        else:
            stopping.add(message.enrollment_id)
    enrollments_explain([message.enrollment for _reply, message in pairs], StopReason.REPLIED)
    enrollments_stop(enrollments=stopping, reason=StopReason.REPLIED, tally=tally)
    tally.save()


def _wait_for_return(message: OutboundMessage, text: str, at: datetime.datetime) -> None:
    """An out-of-office with a return date: the lead's next step waits until the day after."""
    back = return_date(text, at.date())
    if back is None:
        return
    campaign = message.enrollment.campaign
    lead = message.enrollment.lead if campaign.lead_time_zones else None  # the date is theirs
    tz = zoneinfo.ZoneInfo(send_zone(campaign, lead))
    after = datetime.datetime.combine(back + datetime.timedelta(days=1), datetime.time(), tz)
    Enrollment.objects.filter(
        pk=message.enrollment_id,
        status=Enrollment.Status.ACTIVE,
        next_due_at__lt=after,
    ).update(next_due_at=next_send_time(campaign, after, lead=lead, jitter_seconds=3600))
