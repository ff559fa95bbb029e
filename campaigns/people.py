"""The people of a campaign: where each lead is in the sequence, and why it left it.

`campaign_people` filters a campaign's enrollments the way the People page offers them (in the
sequence, finished, replied, bounced, unsubscribed, interrupted, other stops) and
`people_counts` counts every filter in one query. `people_progress` summarises the messages of
one page of enrollments in one query. `people_continue` is the user's answer to an interrupted
send: the worker stopped between handing a message to the server and hearing back, so Postigo
cannot tell whether it went out and never sends it again by itself (DESIGN invariant 2); the
user, who may know (their Sent folder, the lead), can take it as delivered and let the
sequence go on from the next step.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.delivery import FOLLOW_UP_JITTER, INTERRUPTED
from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage, Reply
from campaigns.schedule import next_send_time
from campaigns.stats import Tally
from campaigns.suppression import Suppressions
from postigo.db import search_words, update_each

_NAMED_STOPS = {
    "replied": ("replied",),
    "bounced": ("bounced",),
    "unsubscribed": ("unsubscribed", "suppressed"),
    "interrupted": (INTERRUPTED,),
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


def _condition(status: str) -> Q:
    if status in ("active", "completed"):
        return Q(status=status)
    if status in _NAMED_STOPS:
        return Q(status=Enrollment.Status.STOPPED, stop_reason__in=_NAMED_STOPS[status])
    if status == "stopped":
        return Q(status=Enrollment.Status.STOPPED) & ~Q(stop_reason__in=_OTHER_STOPS)
    return Q()


def campaign_people(campaign: Campaign, *, status: str = "", q: str = "") -> QuerySet:
    """The campaign's enrollments under one filter, searched by address, name or company."""
    people = Enrollment.objects.filter(campaign=campaign).filter(_condition(status))
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
        if status != Enrollment.Status.STOPPED:
            counts[status] += n
            continue
        named = next((key for key, reasons in _NAMED_STOPS.items() if reason in reasons), None)
        counts[named or "stopped"] += n
    return counts


def people_progress(enrollments: list[Enrollment]) -> None:
    """Each enrollment's messages summarised on it (one query for the page): `last` (the latest
    step's message: state and time), `steps_sent`, and whether any was opened, clicked or
    answered by a person."""
    rows = (
        OutboundMessage.objects.filter(enrollment__in=enrollments)
        .order_by("enrollment_id", "step__position")
        .values(
            "enrollment_id",
            "step__position",
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
    for enrollment in enrollments:
        messages = by_enrollment.get(enrollment.pk, [])
        last = messages[-1] if messages else None
        if last is not None:
            last["at"] = last["sent_at"] or last["sending_at"] or last["queued_at"]
        enrollment.last = last
        enrollment.steps_sent = sum(m["state"] == State.SENT for m in messages)
        enrollment.opened = any(m["opened_at"] for m in messages)
        enrollment.clicked = any(m["clicked_at"] for m in messages)
        enrollment.replied = any(m["replied_at"] for m in messages)


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


def people_continue(
    campaign: Campaign, enrollment_ids: list[int], *, now: datetime.datetime | None = None
) -> int:
    """Interrupted enrollments chosen by the user go on after their last message, taken as
    delivered (it stays `unknown` in the records: that is what Postigo knows). Their next step
    is scheduled as after a send; one with no step left is finished. Left alone: leads that
    replied, bounced or unsubscribed meanwhile, suppressed addresses, and any enrollment whose
    last message is not `unknown` or `sent`. Returns how many go on."""
    if campaign.status not in (Campaign.Status.RUNNING, Campaign.Status.PAUSED):
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update(of=("self",))
            .filter(
                campaign=campaign,
                pk__in=enrollment_ids,
                status=Enrollment.Status.STOPPED,
                stop_reason=INTERRUPTED,
                lead__status=Lead.Status.ACTIVE,
            )
            .select_related("lead")
        )
        last: dict[int, OutboundMessage] = {}
        answered: set[int] = set()
        for message in (
            OutboundMessage.objects.filter(enrollment__in=enrollments)
            .select_related("step")
            .only("enrollment_id", "step__position", "state", "sent_at", "sending_at", "replied_at")
            .order_by("step__position")
        ):
            last[message.enrollment_id] = message
            if message.replied_at:
                answered.add(message.enrollment_id)
        suppressed = Suppressions.for_addresses(
            campaign.workspace, [e.lead.email for e in enrollments]
        )
        steps = {step.position: step for step in campaign.steps.all()}
        going_on, tally = [], Tally()
        for enrollment in enrollments:
            message = last.get(enrollment.pk)
            if (
                message is None
                or message.state not in (State.UNKNOWN, State.SENT)
                or enrollment.pk in answered
                or enrollment.lead.email in suppressed
            ):
                continue
            _go_on(campaign, enrollment, message, steps.get(message.step.position + 1), now)
            tally.add(campaign.pk, "stopped", -1)
            if enrollment.status == Enrollment.Status.COMPLETED:
                tally.add(campaign.pk, "completed")
            going_on.append(enrollment)
        update_each(going_on, ["status", "stop_reason", "next_step", "next_due_at"])
        tally.save()
    return len(going_on)


def _go_on(campaign, enrollment: Enrollment, message: OutboundMessage, following, now) -> None:
    enrollment.stop_reason = ""
    if following is None:
        enrollment.status, enrollment.next_due_at = Enrollment.Status.COMPLETED, None
        enrollment.next_step = message.step.position + 1
        return
    wait = datetime.timedelta(days=following.delay_days, hours=following.delay_hours)
    tried = message.sent_at or message.sending_at or now
    enrollment.status, enrollment.next_step = Enrollment.Status.ACTIVE, following.position
    enrollment.next_due_at = next_send_time(
        campaign, max(now, tried + wait), jitter_seconds=FOLLOW_UP_JITTER
    )
