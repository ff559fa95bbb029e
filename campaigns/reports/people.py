"""The people of a campaign: where each lead is in the sequence, and why it left it.

`campaign_people` filters a campaign's enrollments the way the People page offers them (in the
sequence, finished, replied, bounced, unsubscribed, interrupted, other stops) and
`people_counts` counts every filter in one query. `people_progress` summarises the messages of
one page of enrollments in one query. `lifecycle.enrollments_continue` is the user's answer to
an interrupted send: the worker stopped between handing a message to the server and hearing
back, so Postigo cannot tell whether it went out and never sends it again by itself (DESIGN
invariant 2); the user, who may know (their Sent folder, the lead), can take it as delivered
and let the sequence go on from the next step.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage, Reply, StopReason
from campaigns.sending.forecast import campaign_forecast
from core.db import search_words

_NAMED_STOPS = {
    "replied": (StopReason.REPLIED,),
    "bounced": (StopReason.BOUNCED,),
    "unsubscribed": (StopReason.UNSUBSCRIBED, StopReason.SUPPRESSED),
    "interrupted": (StopReason.INTERRUPTED,),
}
FILTERS = [
    ("", _("Everyone")),
    ("active", _("In the sequence")),
    ("completed", _("Finished")),
    ("replied", _("Replied")),
    ("bounced", _("Bounced")),
    ("unsubscribed", _("Unsubscribed")),
    ("interrupted", _("Interrupted")),
    ("stopped", _("Other stops")),
]
_SEARCHED = ("lead__email", "lead__first_name", "lead__last_name", "lead__company")
_OTHER_STOPS = [reason for reasons in _NAMED_STOPS.values() for reason in reasons]
State = OutboundMessage.State


def _filtered(people: QuerySet, status: str) -> QuerySet:
    if status in ("active", "completed"):
        return people.filter(status=status)
    if status in _NAMED_STOPS:
        return people.stopped(_NAMED_STOPS[status])
    if status == "stopped":
        return people.stopped().exclude(stop_reason__in=_OTHER_STOPS)
    return people


def campaign_people(campaign: Campaign, *, status: str = "", q: str = "") -> QuerySet:
    """The campaign's enrollments under one filter, searched by address, name or company."""
    people = _filtered(Enrollment.objects.filter(campaign=campaign), status)
    people = search_words(people, q, _SEARCHED)
    # In the order they were enrolled: the primary key, so a page of a large campaign is read
    # without sorting all of it.
    return people.select_related("lead", "mailbox").order_by("pk")


def people_counts(campaign: Campaign) -> dict[str, int]:
    """How many enrollments each filter shows (one query)."""
    counts = dict.fromkeys((key for key, _label in FILTERS), 0)
    rows = (
        Enrollment.objects.filter(campaign=campaign)
        .values_list("status", "stop_reason")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for status, reason, n in rows:
        counts[""] += n
        if status in (Enrollment.Status.ACTIVE, Enrollment.Status.COMPLETED):
            counts[status] += n
            continue
        named = next((key for key, reasons in _NAMED_STOPS.items() if reason in reasons), None)
        counts[named or "stopped"] += n
    return counts


@dataclass
class Progress:
    """An enrollment's messages summarised: `last` (the latest step's message: its
    `step__position`, `state` and time `at`), `steps_sent`, `variants` ("1A", "2B": the variant
    each step sent) and when a person first opened, clicked or answered (None if never)."""

    last: dict | None = None
    steps_sent: int = 0
    variants: list[str] = field(default_factory=list)
    opened: datetime.datetime | None = None
    clicked: datetime.datetime | None = None
    replied: datetime.datetime | None = None


def _progress(enrollment_ids: list[int]) -> dict[int, Progress]:
    """The Progress of each enrollment that has messages (one query)."""
    rows = (
        OutboundMessage.objects.filter(enrollment_id__in=enrollment_ids)
        .order_by("enrollment_id", "step__position")
        .values(
            "enrollment_id",
            "step__position",
            "variant__label",
            "state",
            "sent_at",
            "sending_at",
            "queued_at",
            "opened_at",
            "clicked_at",
            "replied_at",
        )
    )
    by_enrollment: dict[int, list[dict]] = {}
    for row in rows:
        by_enrollment.setdefault(row["enrollment_id"], []).append(row)
    found = {}
    for pk, messages in by_enrollment.items():
        last = messages[-1]
        last["at"] = last["sent_at"] or last["sending_at"] or last["queued_at"]
        found[pk] = Progress(
            last=last,
            steps_sent=sum(m["state"] == State.SENT for m in messages),
            variants=[
                f"{m['step__position']}{m['variant__label']}"
                for m in messages
                if m["variant__label"]
            ],
            opened=_first(messages, "opened_at"),
            clicked=_first(messages, "clicked_at"),
            replied=_first(messages, "replied_at"),
        )
    return found


def _first(messages: list[dict], name: str) -> datetime.datetime | None:
    return min((m[name] for m in messages if m[name]), default=None)


def people_next_sends(
    campaign: Campaign, enrollments: list[Enrollment], *, now: datetime.datetime
) -> None:
    """Set `next_send` on each enrollment of a page of a running campaign: when it really gets
    its next step under the mailboxes' caps, the windows and the campaign's daily cap (from the
    forecast), not just when it falls due. Its place in its mailbox's queue for that step is
    counted for the whole page in one query; the forecast costs a constant few more."""
    for enrollment in enrollments:
        enrollment.next_send = None
    if campaign.status != Campaign.Status.RUNNING or not enrollments:
        return
    forecast = campaign_forecast(campaign=campaign, now=now)
    before = Enrollment.objects.filter(
        campaign=campaign,
        status=Enrollment.Status.ACTIVE,
        mailbox=OuterRef("mailbox"),
        next_step=OuterRef("next_step"),
        next_due_at__isnull=False,
    ).filter(
        Q(next_due_at__lt=OuterRef("next_due_at"))
        | Q(next_due_at=OuterRef("next_due_at"), pk__lt=OuterRef("pk"))
    )
    ahead = before.order_by().values("campaign").annotate(n=Count("pk")).values("n")
    places = dict(
        Enrollment.objects.filter(pk__in=[e.pk for e in enrollments])
        .annotate(ahead=Coalesce(Subquery(ahead), 0))
        .values_list("pk", "ahead")
    )
    for enrollment in enrollments:
        if enrollment.is_active and enrollment.next_due_at and enrollment.mailbox_id:
            enrollment.next_send = forecast.next_send(
                enrollment.mailbox_id, enrollment.next_step, places[enrollment.pk]
            )


def people_progress(enrollments: list[Enrollment]) -> None:
    """Each enrollment of a page with its Progress's fields set on it (one query)."""
    found = _progress([enrollment.pk for enrollment in enrollments])
    for enrollment in enrollments:
        vars(enrollment).update(vars(found.get(enrollment.pk) or Progress()))


EXPORT_CHUNK = 1000
EXPORT_HEADER = [
    "email",
    "first_name",
    "last_name",
    "company",
    "status",
    "stop_reason",
    "mailbox",
    "last_step",
    "last_state",
    "last_at",
    "steps_sent",
    "variants",
    "first_opened_at",
    "first_clicked_at",
    "first_replied_at",
    "last_reply_label",
    "next_send_at",
]
_EXPORTED = (
    "pk",
    "lead__email",
    "lead__first_name",
    "lead__last_name",
    "lead__company",
    "status",
    "stop_reason",
    "mailbox__email",
    "next_due_at",
)


def people_rows(campaign: Campaign, *, status: str = "", q: str = "") -> Iterator[list]:
    """The rows of EXPORT_HEADER for everyone a filter and search show, in enrollment order.
    Read EXPORT_CHUNK enrollments at a time after the last one's key (three queries a chunk),
    so a million-lead campaign streams in constant memory. Times are ISO 8601 in the
    campaign's time zone, as the page shows them."""
    zone = zoneinfo.ZoneInfo(campaign.timezone)

    def when(at: datetime.datetime | None) -> str:
        return at.astimezone(zone).isoformat(timespec="seconds") if at else ""

    found = campaign_people(campaign, status=status, q=q).values_list(*_EXPORTED)
    after = 0
    while chunk := list(found.filter(pk__gt=after)[:EXPORT_CHUNK]):
        ids = [row[0] for row in chunk]
        progress = _progress(ids)
        labels = dict(
            Reply.objects.filter(message__enrollment_id__in=ids)
            .order_by("received_at", "pk")
            .values_list("message__enrollment_id", "label")
        )  # the latest of each enrollment's is the one kept
        for pk, *lead, enrollment_status, reason, mailbox, next_due_at in chunk:
            summary = progress.get(pk) or Progress()
            last = summary.last or {}
            yield [
                *lead,
                enrollment_status,
                reason,
                mailbox or "",
                last.get("step__position", ""),
                last.get("state", ""),
                when(last.get("at")),
                summary.steps_sent,
                " ".join(summary.variants),
                when(summary.opened),
                when(summary.clicked),
                when(summary.replied),
                labels.get(pk, ""),
                when(next_due_at),
            ]
        after = ids[-1]


def lead_activity(lead: Lead) -> list[Enrollment]:
    """The lead's campaigns, the latest first, each with `timeline`: its messages (bodies left
    unloaded) and what came back, in the order they happened, as (kind, object). Three
    queries."""
    enrollments = list(
        Enrollment.objects.filter(lead=lead).select_related("campaign").order_by("-created_at")
    )
    messages = (
        OutboundMessage.objects.filter(enrollment__in=enrollments)
        .select_related("step")
        .defer("body_html", "body_text", "references", "smtp_response")
    )
    replies = (
        Reply.objects.filter(message__enrollment__in=enrollments)
        .select_related("message")
        .defer("html", "message__body_html", "message__body_text", "message__references")
    )
    events: dict[int, list] = {e.pk: [] for e in enrollments}
    for message in messages:
        at = message.sent_at or message.sending_at or message.queued_at
        events[message.enrollment_id].append((at, message.step.position, "message", message))
    for reply in replies:
        events[reply.message.enrollment_id].append((reply.received_at, 0, "reply", reply))
    for enrollment in enrollments:
        ordered = sorted(events[enrollment.pk], key=lambda event: event[:2])
        enrollment.timeline = [(kind, item) for _at, _step, kind, item in ordered]
    return enrollments
