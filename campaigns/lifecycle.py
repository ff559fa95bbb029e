"""THE state machine of `Enrollment` and `OutboundMessage`: every change of their state is made
here, and counted here (`CampaignStat`, through `Tally`), so the rules are written once.

Enrollment (one lead in one campaign)::

    active ──advance──▶ active (next step scheduled) ──advance past the last step──▶ completed
    active ──stop(reason)──▶ stopped            stopped(interrupted) ──go on──▶ active | completed

OutboundMessage (one step to one lead; the at-most-once guarantee, DESIGN §5.1)::

    queued ──claim──▶ sending ──▶ sent | failed            sending ──crash, recover──▶ unknown
    sending ──unclaim(delay)──▶ queued (retried later)     unknown ──mail came back──▶ sent
    queued/sending ──unclaim()──▶ removed (its lead is due again, nothing went out)

The rules, where the copies of them used to disagree:

1. Only an *active* enrollment is stopped or completed: a stopped one keeps the reason it
   stopped for first, and each stop is counted once (`stopped` on the campaign's counters).
2. When an enrollment stops — whatever the reason: campaign stopped, reply, unsubscribe,
   bounce, complaint, a failed send, suppression — its messages still `queued` are removed
   (nothing was handed to SMTP for them; a kept one would only fail later as "suppressed" and
   be counted as a failure). Messages already `sending` are left alone: their answer is
   recorded when it comes. (The bounce path used to keep queued follow-ups; the reply and
   unsubscribe paths removed them. Removing is right.)
3. A stop caused by the recipient (reply, unsubscribe, bounce, complaint) also proves that a
   message recorded `unknown` went out: it becomes `sent` at the moment it was handed over
   (`messages_promote`), and an enrollment stopped as "interrupted while sending" now says why
   it ended (`enrollments_explain`), without being counted again.
4. Advancing after a send schedules the next step `delay` after the send (or after the
   earlier attempt, for a user continuing an interrupted lead), inside the campaign's window,
   with FOLLOW_UP_JITTER; with no step left the enrollment is completed.
5. Opens, clicks and replies set `opened_at` / `clicked_at` / `replied_at` once per message and
   count once (`messages_mark_first`).
6. A message found in `sending` INTERRUPTED_AFTER after its claim becomes `unknown` and its
   sequence stops (INTERRUPTED): it is never sent again automatically.

All functions run inside the caller's transaction when there is one, and lock the rows they
change (`select_for_update`), so a reply and a send committing at once do not overwrite each
other.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from campaigns.leads.suppression import Suppressions
from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage, StopReason
from campaigns.schedule import next_send_time
from campaigns.stats import Tally
from core.db import update_each

logger = logging.getLogger(__name__)

__all__ = [
    "FOLLOW_UP_JITTER",
    "INTERRUPTED_AFTER",
    "PROMOTED_FIELDS",
    "StopReason",
    "enrollment_advance",
    "enrollment_complete",
    "enrollments_continue",
    "enrollments_explain",
    "enrollments_stop",
    "message_fail",
    "message_unclaim",
    "messages_defer",
    "messages_mark_first",
    "messages_no_longer_unknown",
    "messages_promote",
    "messages_recover_interrupted",
]

State = OutboundMessage.State
FOLLOW_UP_JITTER = 1800  # seconds a follow-up's time is spread by
INTERRUPTED_AFTER = datetime.timedelta(minutes=15)
# What `messages_promote` reads of a message (and of its enrollment: the campaign).
PROMOTED_FIELDS = ("sending_at", "step_id", "variant_id", "mailbox_id")
RECIPIENT_STOPS = {StopReason.REPLIED, StopReason.UNSUBSCRIBED, StopReason.BOUNCED}


# --- Enrollment ---------------------------------------------------------------------------------


def enrollments_stop(
    *,
    enrollments: models.QuerySet | Iterable[int],
    reason: StopReason,
    tally: Tally | None = None,
) -> list[tuple[int, int]]:
    """Stop the active ones among `enrollments` (a queryset or ids) for `reason`: no next step,
    their queued messages removed, each counted `stopped` once (rules 1 and 2). Returns the
    (enrollment id, campaign id) of those stopped here. With `tally`, the caller saves it."""
    if not isinstance(enrollments, models.QuerySet):
        enrollments = Enrollment.objects.filter(pk__in=list(enrollments))
    own_tally = tally is None
    tally = Tally() if own_tally else tally
    with transaction.atomic():
        stopping = list(
            enrollments.active()
            .select_for_update(of=("self",))
            .order_by()
            .values_list("pk", "campaign_id")
        )
        ids = [pk for pk, _campaign_id in stopping]
        Enrollment.objects.filter(pk__in=ids).update(
            status=Enrollment.Status.STOPPED, stop_reason=reason, next_due_at=None
        )
        OutboundMessage.objects.filter(enrollment_id__in=ids).queued().delete()
        for _pk, campaign_id in stopping:
            tally.add(campaign_id, "stopped")
        if own_tally:
            tally.save()
    return stopping


def enrollment_complete(*, enrollment: Enrollment, tally: Tally | None = None) -> bool:
    """The sequence has no step left for this active enrollment (it was shortened meanwhile)."""
    ended = (
        Enrollment.objects.active()
        .filter(pk=enrollment.pk)
        .update(status=Enrollment.Status.COMPLETED, stop_reason="", next_due_at=None)
    )
    own_tally = tally is None
    tally = Tally() if own_tally else tally
    tally.add(enrollment.campaign_id, "completed", ended)
    if own_tally:
        tally.save()
    return bool(ended)


def enrollment_advance(*, enrollment: Enrollment, position: int, following, after) -> None:
    """In memory (the caller writes the batch): the enrollment moved past step `position`,
    its message handed over `after`. The next step (`following`, None when the sequence ends)
    is scheduled as rule 4 says, or the enrollment is completed."""
    if following is None:
        enrollment.status = Enrollment.Status.COMPLETED
        enrollment.next_step, enrollment.next_due_at = position + 1, None
        return
    enrollment.status, enrollment.next_step = Enrollment.Status.ACTIVE, following.position
    enrollment.next_due_at = next_send_time(
        enrollment.campaign,
        after + following.wait,
        lead=enrollment.lead,
        jitter_seconds=FOLLOW_UP_JITTER,
    )


def _go_on(
    *, enrollment: Enrollment, message: OutboundMessage, following, now: datetime.datetime
) -> None:
    """In memory: a user continues an interrupted enrollment after `message` (taken as
    delivered): as after a send, never scheduled in the past (rule 4)."""
    if not enrollment.was_interrupted:
        raise ValueError(f"enrollment {enrollment.pk} was not interrupted")
    enrollment.stop_reason = ""
    tried = message.sent_at or message.sending_at or now
    if following is not None and tried + following.wait < now:
        tried = now - following.wait
    enrollment_advance(
        enrollment=enrollment, position=message.step.position, following=following, after=tried
    )


def enrollments_continue(
    *, campaign: Campaign, enrollment_ids: list[int], now: datetime.datetime | None = None
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
            .interrupted()
            .filter(campaign=campaign, pk__in=enrollment_ids, lead__status=Lead.Status.ACTIVE)
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
                or not message.went_out
                or enrollment.pk in answered
                or enrollment.lead.email in suppressed
            ):
                continue
            enrollment.campaign = campaign
            _go_on(
                enrollment=enrollment,
                message=message,
                following=steps.get(message.step.position + 1),
                now=now,
            )
            tally.add(campaign.pk, "stopped", -1)
            if enrollment.status == Enrollment.Status.COMPLETED:
                tally.add(campaign.pk, "completed")
            going_on.append(enrollment)
        update_each(going_on, ["status", "stop_reason", "next_step", "next_due_at"])
        tally.save()
    return len(going_on)


def enrollments_explain(enrollments: Iterable[Enrollment], reason: StopReason) -> None:
    """Sequences stopped by an interrupted send (as loaded) now known to end for `reason` (rule
    3): their status and counters stay, they were stopped already."""
    ids = {e.pk for e in enrollments if e.was_interrupted}
    if ids:
        Enrollment.objects.filter(pk__in=ids, stop_reason=StopReason.INTERRUPTED).update(
            stop_reason=reason
        )


# --- OutboundMessage ----------------------------------------------------------------------------


def message_fail(
    *, message: OutboundMessage, reason: StopReason, response: str | None = None
) -> None:
    """A claimed message will not be sent (refused, bounced, given up, or not allowed any more):
    `failed`, counted, and its enrollment stops for `reason`."""
    message.state = State.FAILED
    if response is not None:
        message.smtp_response = response
    campaign_id = message.enrollment.campaign_id
    tally = Tally()
    tally.message(campaign_id, message, "failed")
    if reason == StopReason.BOUNCED:
        tally.message(campaign_id, message, "bounced")
    with transaction.atomic():
        messages_no_longer_unknown([message], tally)
        message.save(update_fields=["state", "smtp_code", "smtp_response"])
        enrollments_stop(enrollments=[message.enrollment_id], reason=reason, tally=tally)
        tally.save()


def message_unclaim(*, message: OutboundMessage, delay: datetime.timedelta | None = None) -> None:
    """Back to queued: nothing was delivered. With a delay it is retried by the dispatcher;
    without one it goes back to its enrollment (the message row is removed, the lead is due)."""
    if delay is None:  # (still queued when the chunk's checks turn it back)
        with transaction.atomic():
            OutboundMessage.objects.filter(
                pk=message.pk, state__in=(State.SENDING, State.QUEUED)
            ).delete()
            Enrollment.objects.filter(pk=message.enrollment_id).update(next_due_at=timezone.now())
        return
    # A message recovery already called unknown stays so: its sequence has stopped.
    OutboundMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
        state=State.QUEUED,
        next_attempt_at=timezone.now() + delay,
        smtp_code=message.smtp_code,
        smtp_response=message.smtp_response,
    )


def messages_defer(*, messages: list[OutboundMessage], delay: datetime.timedelta) -> None:
    """Never claimed: left queued, for the dispatcher to retry after `delay`."""
    OutboundMessage.objects.filter(
        pk__in=[m.pk for m in messages], state=State.QUEUED, next_attempt_at__isnull=True
    ).update(next_attempt_at=timezone.now() + delay)


def messages_no_longer_unknown(messages: list[OutboundMessage], tally: Tally) -> None:
    """Recovery may have called a message `unknown` while its answer was still on its way (a
    worker stalled past INTERRUPTED_AFTER): the answer wins, and it stops counting as unknown.
    Locks the messages until the caller's transaction ends."""
    late = set(
        OutboundMessage.objects.select_for_update()
        .filter(pk__in=[m.pk for m in messages], state=State.UNKNOWN)
        .values_list("pk", flat=True)
    )
    for message in messages:
        if message.pk in late:
            campaign_id = message.enrollment.campaign_id
            tally.message(campaign_id, message, "unknown", -1, at=message.sending_at)


def messages_promote(messages: list[OutboundMessage]) -> None:
    """Mail came back about these messages (a reply, a bounce or complaint report, an open or a
    click): any the records call `unknown` did go out (rule 3). They become `sent`, at the
    moment they were handed to the server, and are counted so. Inside the caller's transaction.
    Their sequences stay stopped: what came back says why (`enrollments_explain`)."""
    unknown = [m.pk for m in messages if m.state == State.UNKNOWN]  # as loaded: most are sent
    if not unknown:
        return
    promoted = set(
        OutboundMessage.objects.select_for_update()
        .filter(pk__in=unknown, state=State.UNKNOWN)
        .values_list("pk", flat=True)
    )
    if not promoted:
        return
    OutboundMessage.objects.filter(pk__in=promoted).update(
        state=State.SENT, sent_at=F("sending_at")
    )
    from campaigns.sending.billing_gate import charge_sent  # (billing imports the models)

    charge_sent([m for m in {m.pk: m for m in messages}.values() if m.pk in promoted])
    tally = Tally()
    for message in {m.pk: m for m in messages if m.pk in promoted}.values():
        campaign_id = message.enrollment.campaign_id
        tally.message(campaign_id, message, "unknown", -1, at=message.sending_at)
        tally.message(campaign_id, message, "sent", at=message.sending_at)
    for message in messages:
        if message.pk in promoted:
            message.state, message.sent_at = State.SENT, message.sending_at
    tally.save()


def messages_mark_first(
    firsts: dict[int, datetime.datetime], field: str, metric: str, tally: Tally
) -> None:
    """Set `field` (opened_at, clicked_at, replied_at) on the messages that do not have it yet
    (locked), and count each once under `metric` (rule 5)."""
    if not firsts:
        return
    fresh = list(
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(pk__in=list(firsts), **{f"{field}__isnull": True})
        .select_related("enrollment")
        .only("step_id", "variant_id", "mailbox_id", "enrollment__campaign_id")
    )
    for message in fresh:
        setattr(message, field, firsts[message.pk])
        tally.message(message.enrollment.campaign_id, message, metric, at=firsts[message.pk])
    update_each(fresh, [field])


def messages_recover_interrupted(*, older_than: datetime.timedelta = INTERRUPTED_AFTER) -> int:
    """Messages left in `sending` by a crash become `unknown`; their sequence stops there (rule
    6). Queued messages never picked up (their send task was lost with a broker) are
    dispatched again. Returns how many became unknown."""
    cutoff = timezone.now() - older_than
    tally = Tally()
    with transaction.atomic():
        stuck = list(
            OutboundMessage.objects.select_for_update()
            .filter(state=State.SENDING, sending_at__lt=cutoff)
            .select_related("enrollment")
            .only("step_id", "variant_id", "mailbox_id", "sending_at", "enrollment__campaign_id")
        )
        OutboundMessage.objects.filter(pk__in=[m.pk for m in stuck]).update(state=State.UNKNOWN)
        enrollments_stop(
            enrollments=[m.enrollment_id for m in stuck],
            reason=StopReason.INTERRUPTED,
            tally=tally,
        )
        for message in stuck:
            tally.message(message.enrollment.campaign_id, message, "unknown", at=message.sending_at)
        tally.save()
    if stuck:
        logger.warning("%s message(s) interrupted while sending are now unknown", len(stuck))
    OutboundMessage.objects.filter(
        state=State.QUEUED, next_attempt_at__isnull=True, queued_at__lt=cutoff
    ).update(next_attempt_at=timezone.now())
    return len(stuck)
