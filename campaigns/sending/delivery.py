"""Sending one mailbox's batch of queued messages, and what each SMTP answer means (DESIGN §4.4).

Per message: `queued → sending` is committed, with what is about to be sent, before it goes to
SMTP (a chunk of CHUNK at a time, as its turn comes); the answer is recorded right after the
server gives it (`sent`, `failed`, or back to `queued` with backoff). A crash in between leaves
`sending`, which `recover_interrupted` turns into `unknown`: never sent again automatically.
What the batch had not claimed yet stays `queued` and is dispatched again.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import deque

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from campaigns.authoring.rendering import render_outbound
from campaigns.authoring.templating import TemplateError
from campaigns.leads.suppression import Suppressions, suppression_add
from campaigns.models import (
    Campaign,
    Enrollment,
    Lead,
    OutboundMessage,
    Step,
    Suppression,
    Variant,
)
from campaigns.schedule import next_send_time
from campaigns.sending.bounce_guard import pause_on_bounces
from campaigns.sending.dispatch import attach_campaigns
from campaigns.stats import Tally
from campaigns.tracking.links import store_links_batch
from core.db import update_each
from smtp_accounts.background import BackgroundSender
from smtp_accounts.models import Mailbox
from smtp_accounts.replies import Outcome
from smtp_accounts.sender import SendResult
from smtp_accounts.services import dkim_signer_for, mailbox_batch_done

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
GIVE_UP_AFTER = datetime.timedelta(days=3)
INTERRUPTED_AFTER = datetime.timedelta(minutes=15)
FOLLOW_UP_JITTER = 1800
INTERRUPTED = "interrupted while sending"  # the stop reason recovery gives
CHUNK = 10  # messages claimed, rendered and stored at a time while the SMTP helper sends
BUDGET = 30  # seconds a batch takes new chunks; the rest goes to a new task

State = OutboundMessage.State
_CLAIM_FIELDS = ("state", "sending_at", "attempts")
_RENDERED_FIELDS = ("subject", "body_html", "body_text", "message_id", "in_reply_to", "references")


def _lock_queued(message_ids: list[int]) -> dict[int, tuple[int, bool]]:
    """Lock the messages still queued (a redelivered task finds none): {id: (attempts so far,
    whether its campaign is running now)}. Inside the caller's transaction, which claims them."""
    rows = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(pk__in=message_ids, state=State.QUEUED, next_attempt_at__isnull=True)
        .values_list("pk", "attempts", "enrollment__campaign__status")
    )
    return {pk: (attempts, status == Campaign.Status.RUNNING) for pk, attempts, status in rows}


def send_batch(*, mailbox_id: int, message_ids: list[int]) -> dict[str, int]:
    """Send what is still queued of a dispatched batch, claiming it a chunk at a time."""
    messages = list(
        OutboundMessage.objects.filter(
            pk__in=message_ids, state=State.QUEUED, next_attempt_at__isnull=True
        )
        .select_related("enrollment__lead")
        .order_by("pk")
    )
    if not messages:
        return {}
    mailbox = Mailbox.objects.get(pk=mailbox_id)
    _attach_authoring(messages, mailbox)
    counts, rest = _send_in_chunks(mailbox, messages, previous=_previous_messages(messages))
    if rest:  # the batch ran past its time: the rest queues up behind other mailboxes' work
        from campaigns.tasks import send_mailbox_batch

        send_mailbox_batch.delay(mailbox_id, [m.pk for m in rest])
    return counts


def _attach_authoring(messages: list[OutboundMessage], mailbox: Mailbox) -> None:
    """Each message's campaign, step, variant and next step, loaded once for the batch and
    shared (rendering reads variant.step and step.campaign; a batch is one or few campaigns)."""
    attach_campaigns([m.enrollment for m in messages])
    campaigns = {m.enrollment.campaign_id: m.enrollment.campaign for m in messages}
    steps = {s.pk: s for s in Step.objects.filter(campaign_id__in=campaigns)}
    variants = Variant.objects.filter(step_id__in=[m.step_id for m in messages])
    variants = {v.pk: v for v in variants}
    for step in steps.values():
        step.campaign = campaigns[step.campaign_id]
    for variant in variants.values():
        variant.step = steps[variant.step_id]
    following = {(s.campaign_id, s.position): s for s in steps.values()}
    for message in messages:
        message.mailbox = mailbox
        message.step = steps[message.step_id]
        message.variant = variants.get(message.variant_id)  # None: deleted meanwhile
        # The step after this one (None: the sequence ends), for scheduling after a send.
        message.following = following.get((message.step.campaign_id, message.step.position + 1))


def _send_in_chunks(mailbox: Mailbox, messages: list[OutboundMessage], *, previous):
    """Claim, check, render and store a chunk, hand it to the SMTP helper, record the answers
    already in; while the server answers one chunk, the next is prepared
    (smtp_accounts/background.py). Returns (counts, the messages left for another task).

    A chunk is claimed only when its turn comes: a crash strands (as `unknown`) what was
    claimed, at most two chunks; what was never claimed is still `queued`, and recovery
    dispatches it again. A batch stops taking new chunks after BUDGET seconds, so a slow
    server does not hold a worker for long."""
    counts: dict[str, int] = {}
    results: list[SendResult] = []
    in_flight: deque[OutboundMessage] = deque()  # handed over, in order, answer not read yet
    sent = _SentBuffer()
    prepared, deadline = 0, time.monotonic() + BUDGET

    def record(result: SendResult) -> None:
        message = in_flight.popleft()
        if result.outcome is Outcome.SENT:
            sent.add(message, result)
        else:
            _record(message, result)
        results.append(result)
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1

    try:
        with BackgroundSender(mailbox, signer=dkim_signer_for(mailbox)) as smtp:
            while prepared < len(messages) and not smtp.stopped:
                if prepared and time.monotonic() > deadline:
                    break
                chunk, prepared = messages[prepared : prepared + CHUNK], prepared + CHUNK
                for message, outgoing in _claimed_and_rendered(chunk, previous):
                    in_flight.append(message)
                    smtp.send(outgoing)
                # One chunk ahead of the server at most: the helper always has the next one,
                # and a crash strands little however slow the server is.
                for result in smtp.results(at_least=len(in_flight) - CHUNK):
                    record(result)
            for result in smtp.finish():
                record(result)
            stopped = smtp.stopped
    finally:
        sent.flush()
    mailbox_batch_done(mailbox=mailbox, results=results)
    rest = messages[prepared:]
    if stopped:
        # Not attempted: the mailbox failed first (it is paused now); the leads are not at fault.
        wait = datetime.timedelta(minutes=30)
        for message in in_flight:
            _unclaim(message, delay=wait)
        _defer(rest, delay=wait)
        rest = []
    return counts, rest


def _claimed_and_rendered(messages: list[OutboundMessage], previous: dict):
    """(message, outgoing) for each message of the chunk that is claimed here, still allowed
    (suppression, campaign running, variant) and renders. One transaction: what is about to be
    sent is stored with its claim."""
    ready = []
    with transaction.atomic():
        now = timezone.now()
        locked = _lock_queued([m.pk for m in messages])
        messages = [m for m in messages if m.pk in locked]  # others: a redelivered task's
        if not messages:
            return ready
        allowed = _Allowed(
            messages, running={pk for pk, (_n, running) in locked.items() if running}
        )
        for message in messages:
            message.state, message.sending_at = State.SENDING, now
            message.attempts = locked[message.pk][0] + 1
            if not allowed.check(message):
                continue
            try:
                outgoing = render_outbound(message, previous=previous.get(message.enrollment_id))
            except TemplateError as exc:  # the launch gate prevents this; a bad edit may not
                _fail(message, f"template error: {exc}", stop="template error")
                continue
            ready.append((message, outgoing))
        stored = [message for message, _outgoing in ready]
        # The claim (queued → sending) and what is about to be sent: one write a row.
        update_each(stored, [*_CLAIM_FIELDS, *_RENDERED_FIELDS])
        store_links_batch(stored)
    return ready


class _Allowed:
    """Checked again right before SMTP, for a claimed chunk: an unsubscribe, a pause or a
    deleted variant since the dispatcher queued the message wins. `running`: the messages whose
    campaign is running, as read when they were locked (one query a chunk for the rest)."""

    def __init__(self, messages: list[OutboundMessage], *, running: set[int]):
        self.running = running
        workspace = messages[0].enrollment.campaign.workspace  # a batch is one workspace's
        self.suppressed = Suppressions.for_addresses(workspace, [m.recipient for m in messages])

    def check(self, message: OutboundMessage) -> bool:
        if message.recipient in self.suppressed:
            _fail(message, "suppressed before sending", stop="suppressed")
        elif message.pk not in self.running:
            _unclaim(message)  # paused meanwhile: nothing went out; it waits for resume
        elif message.variant is None:  # deleted after the message was queued
            _fail(message, "its variant was deleted", stop="variant deleted")
        else:
            return True
        return False


class _SentBuffer:
    """Accepted messages are recorded `sent` (with each lead's next step) in small groups.

    A crash before a group is written leaves its messages in `sending`, which recovery turns
    into `unknown`: nothing is ever sent twice, and one commit serves many messages.
    """

    SIZE = 25

    def __init__(self):
        self.messages: list[OutboundMessage] = []
        self.settled: set[int] = set()  # campaigns whose sends can no longer pause them

    def add(self, message: OutboundMessage, result: SendResult) -> None:
        message.state, message.sent_at = State.SENT, timezone.now()
        message.smtp_code, message.smtp_response = result.code, result.response[:2000]
        self.messages.append(message)
        if len(self.messages) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.messages:
            return
        messages, self.messages = self.messages, []
        tally = Tally()
        with transaction.atomic():
            _no_longer_unknown(messages, tally)
            update_each(messages, ["state", "sent_at", "smtp_code", "smtp_response"])
            # Locked: a stop or an unsubscribe committing meanwhile is not overwritten.
            still_active = set(
                Enrollment.objects.select_for_update()
                .filter(pk__in=[m.enrollment_id for m in messages], status=Enrollment.Status.ACTIVE)
                .values_list("pk", flat=True)
            )
            enrollments = [_advanced(m) for m in messages if m.enrollment_id in still_active]
            update_each(enrollments, ["status", "next_step", "next_due_at"])
            for message in messages:
                tally.message(message.enrollment.campaign_id, message, "sent", at=message.sent_at)
            for enrollment in enrollments:
                if enrollment.status == Enrollment.Status.COMPLETED:
                    tally.add(enrollment.campaign_id, "completed")
            tally.save()
            campaign_ids = {m.enrollment.campaign_id for m in messages} - self.settled
            pause_on_bounces(campaign_ids, settled=self.settled)


def _advanced(message: OutboundMessage) -> Enrollment:
    """The message's enrollment moved past its step: the next one scheduled, or completed."""
    enrollment, following = message.enrollment, message.following
    if following is None:
        enrollment.status = Enrollment.Status.COMPLETED
        enrollment.next_step, enrollment.next_due_at = message.step.position + 1, None
        return enrollment
    wait = datetime.timedelta(days=following.delay_days, hours=following.delay_hours)
    enrollment.next_step = following.position
    enrollment.next_due_at = next_send_time(
        enrollment.campaign,
        message.sent_at + wait,
        lead=enrollment.lead,
        jitter_seconds=FOLLOW_UP_JITTER,
    )
    return enrollment


def _previous_messages(messages: list[OutboundMessage]) -> dict[int, OutboundMessage]:
    """Each follow-up's enrollment -> its latest sent message (the one it answers): one query.
    An `unknown` one counts: a sequence goes on after it only when the user took it as
    delivered (campaigns/reports/people.py)."""
    follow_ups = [m.enrollment_id for m in messages if m.step.position > 1]
    latest: dict[int, OutboundMessage] = {}
    sent = OutboundMessage.objects.filter(
        enrollment_id__in=follow_ups, state__in=(State.SENT, State.UNKNOWN)
    )
    for earlier in sent.order_by("enrollment_id", "step__position"):
        latest[earlier.enrollment_id] = earlier
    return latest


def _record(message: OutboundMessage, result: SendResult) -> None:
    now = timezone.now()
    message.smtp_code, message.smtp_response = result.code, result.response[:2000]
    outcome = result.outcome  # SENT goes through _SentBuffer
    if outcome is Outcome.HARD_BOUNCE:
        with transaction.atomic():  # all three or none (a crash leaves the message unknown)
            suppression_add(
                workspace=message.enrollment.campaign.workspace,
                entry=message.recipient,
                reason=Suppression.Reason.HARD_BOUNCE,
                note=f"{result.code} {result.response}"[:200],
            )
            Lead.objects.filter(pk=message.enrollment.lead_id).update(status=Lead.Status.BOUNCED)
            _fail(message, None, stop="bounced")
            pause_on_bounces([message.enrollment.campaign_id])
    elif outcome is Outcome.REJECTED:
        _fail(message, None, stop="rejected")
    elif outcome is Outcome.TEMPORARY:
        if message.attempts >= MAX_ATTEMPTS or now - message.queued_at > GIVE_UP_AFTER:
            _fail(message, None, stop="gave up after temporary failures")
        else:
            backoff = datetime.timedelta(minutes=5 * 2 ** (message.attempts - 1))
            _unclaim(message, delay=backoff)
    else:  # the mailbox itself failed (it is paused now); the lead is not at fault
        _unclaim(message, delay=datetime.timedelta(minutes=30))


def _fail(message: OutboundMessage, response: str | None, *, stop: str) -> None:
    message.state = State.FAILED
    if response is not None:
        message.smtp_response = response
    campaign_id = message.enrollment.campaign_id
    tally = Tally()
    tally.message(campaign_id, message, "failed")
    if stop == "bounced":
        tally.message(campaign_id, message, "bounced")
    with transaction.atomic():
        _no_longer_unknown([message], tally)
        message.save(update_fields=["state", "smtp_code", "smtp_response"])
        stopped = Enrollment.objects.filter(
            pk=message.enrollment_id, status=Enrollment.Status.ACTIVE
        ).update(status=Enrollment.Status.STOPPED, stop_reason=stop, next_due_at=None)
        tally.add(campaign_id, "stopped", stopped)
        tally.save()


def _no_longer_unknown(messages: list[OutboundMessage], tally: Tally) -> None:
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


# What `delivered_after_all` reads of a message (and of its enrollment: the campaign).
PROMOTED_FIELDS = ("sending_at", "step_id", "variant_id", "mailbox_id")


def delivered_after_all(messages: list[OutboundMessage]) -> None:
    """Mail came back about these messages (a reply, a bounce or complaint report): any the
    records call `unknown` did go out. They become `sent`, at the moment they were handed to
    the server, and are counted so. Inside the caller's transaction. Their sequences stay
    stopped: what came back says why (`interrupted_ends`)."""
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
    tally = Tally()
    for message in {m.pk: m for m in messages if m.pk in promoted}.values():
        campaign_id = message.enrollment.campaign_id
        tally.message(campaign_id, message, "unknown", -1, at=message.sending_at)
        tally.message(campaign_id, message, "sent", at=message.sending_at)
    for message in messages:
        if message.pk in promoted:
            message.state, message.sent_at = State.SENT, message.sending_at
    tally.save()


def interrupted_ends(enrollments, reason: str) -> None:
    """Sequences stopped by an interrupted send (as loaded) now known to end for `reason`: a
    reply or a bounce came back. Their status and counters stay (they were stopped already)."""
    ids = {e.pk for e in enrollments if e.stop_reason == INTERRUPTED}
    if ids:
        Enrollment.objects.filter(pk__in=ids, stop_reason=INTERRUPTED).update(stop_reason=reason)


def _unclaim(message: OutboundMessage, delay: datetime.timedelta | None = None) -> None:
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


def _defer(messages: list[OutboundMessage], *, delay: datetime.timedelta) -> None:
    """Never claimed here: left queued, for the dispatcher to retry after `delay`."""
    OutboundMessage.objects.filter(
        pk__in=[m.pk for m in messages], state=State.QUEUED, next_attempt_at__isnull=True
    ).update(next_attempt_at=timezone.now() + delay)


def recover_interrupted(*, older_than: datetime.timedelta = INTERRUPTED_AFTER) -> int:
    """Messages left in `sending` by a crash become `unknown`; their sequence stops there."""
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
        active = Enrollment.objects.select_for_update().filter(
            pk__in=[m.enrollment_id for m in stuck], status=Enrollment.Status.ACTIVE
        )
        for campaign_id in active.values_list("campaign_id", flat=True):
            tally.add(campaign_id, "stopped")
        active.update(
            status=Enrollment.Status.STOPPED,
            stop_reason=INTERRUPTED,
            next_due_at=None,
        )
        for message in stuck:
            tally.message(message.enrollment.campaign_id, message, "unknown", at=message.sending_at)
        tally.save()
    if stuck:
        logger.warning("%s message(s) interrupted while sending are now unknown", len(stuck))
    # Queued but never picked up (the send task was lost with a broker): dispatch them again.
    OutboundMessage.objects.filter(
        state=State.QUEUED, next_attempt_at__isnull=True, queued_at__lt=cutoff
    ).update(next_attempt_at=timezone.now())
    return len(stuck)
