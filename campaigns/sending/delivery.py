"""Sending one mailbox's batch of queued messages, and what each SMTP answer means (DESIGN §4.4).

Per message: `queued → sending` is committed, with what is about to be sent, before it goes to
SMTP (a chunk of CHUNK at a time, as its turn comes); the answer is recorded right after the
server gives it (`sent`, `failed`, or back to `queued` with backoff). A crash in between leaves
`sending`, which `recover_interrupted` turns into `unknown`: never sent again automatically.
What the batch had not claimed yet stays `queued` and is dispatched again. Every change of a
message's or an enrollment's state is made by `campaigns/lifecycle.py`.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import deque

from django.db import transaction
from django.utils import timezone

from api import events as webhook_events
from campaigns.authoring.rendering import lead_values, render_outbound
from campaigns.authoring.templating import TemplateError
from campaigns.leads.suppression import Suppressions, suppression_add
from campaigns.lifecycle import (
    enrollment_advance,
    message_fail,
    message_unclaim,
    messages_defer,
    messages_no_longer_unknown,
)
from campaigns.models import (
    Campaign,
    Enrollment,
    Lead,
    OutboundMessage,
    Step,
    StopReason,
    Suppression,
    Variant,
)
from campaigns.sending.billing_gate import charge_sent
from campaigns.sending.bounce_guard import campaigns_pause_on_bounces
from campaigns.sending.claims import attach_campaigns
from campaigns.sending.content_gate import merge_values_blocked
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


def messages_send(*, mailbox_id: int, message_ids: list[int]) -> dict[str, int]:
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
    sent = _SentBuffer(mailbox.workspace_id)
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
            message_unclaim(message=message, delay=wait)
        messages_defer(messages=rest, delay=wait)
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
            values = lead_values(message.enrollment.lead, sender=message.mailbox)
            if merge_values_blocked(message, values):  # the local content filter, no HTTP
                message_unclaim(message=message)  # not sent; it waits for the operator's decision
                continue
            try:
                outgoing = render_outbound(message, previous=previous.get(message.enrollment_id))
            except TemplateError as exc:  # the launch gate prevents this; a bad edit may not
                message_fail(
                    message=message,
                    reason=StopReason.TEMPLATE_ERROR,
                    response=f"template error: {exc}",
                )
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
        self.may_send = workspace.may_send()  # suspended since the claim: nothing goes out

    def check(self, message: OutboundMessage) -> bool:
        if message.recipient in self.suppressed:
            message_fail(
                message=message,
                reason=StopReason.SUPPRESSED,
                response="suppressed before sending",
            )
        elif not self.may_send or message.pk not in self.running:
            message_unclaim(message=message)  # paused meanwhile: it waits for resume
        elif message.variant is None:  # deleted after the message was queued
            message_fail(
                message=message,
                reason=StopReason.VARIANT_DELETED,
                response="its variant was deleted",
            )
        else:
            return True
        return False


class _SentBuffer:
    """Accepted messages are recorded `sent` (with each lead's next step) in small groups.

    A crash before a group is written leaves its messages in `sending`, which recovery turns
    into `unknown`: nothing is ever sent twice, and one commit serves many messages.
    """

    SIZE = 25

    def __init__(self, workspace_id: int | None = None):
        self.workspace_id = workspace_id
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
            messages_no_longer_unknown(messages, tally)
            update_each(messages, ["state", "sent_at", "smtp_code", "smtp_response"])
            charge_sent(messages)  # paid for in the transaction that records them sent
            # Locked: a stop or an unsubscribe committing meanwhile is not overwritten.
            still_active = set(
                Enrollment.objects.select_for_update()
                .active()
                .filter(pk__in=[m.enrollment_id for m in messages])
                .values_list("pk", flat=True)
            )
            enrollments = []
            for message in messages:
                if message.enrollment_id in still_active:
                    enrollment_advance(
                        enrollment=message.enrollment,
                        position=message.step.position,
                        following=message.following,
                        after=message.sent_at,
                    )
                    enrollments.append(message.enrollment)
            update_each(enrollments, ["status", "next_step", "next_due_at"])
            for message in messages:
                tally.message(message.enrollment.campaign_id, message, "sent", at=message.sent_at)
            for enrollment in enrollments:
                if enrollment.status == Enrollment.Status.COMPLETED:
                    tally.add(enrollment.campaign_id, "completed")
            tally.save()
            webhook_events.emails_sent(self.workspace_id, messages)
            campaign_ids = {m.enrollment.campaign_id for m in messages} - self.settled
            campaigns_pause_on_bounces(campaign_ids=campaign_ids, settled=self.settled)


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
            message_fail(message=message, reason=StopReason.BOUNCED)
            webhook_events.email_bounced(
                message.enrollment.campaign.workspace_id,
                message,
                permanent=True,
                reason=f"{result.code} {result.response}",
                during="smtp",
            )
            campaigns_pause_on_bounces(campaign_ids=[message.enrollment.campaign_id])
    elif outcome is Outcome.REJECTED:
        message_fail(message=message, reason=StopReason.REJECTED)
    elif outcome is Outcome.TEMPORARY:
        if message.may_retry(now, attempts_at_most=MAX_ATTEMPTS, within=GIVE_UP_AFTER):
            message_unclaim(message=message, delay=message.retry_backoff())
        else:
            message_fail(message=message, reason=StopReason.GAVE_UP)
    else:  # the mailbox itself failed (it is paused now); the lead is not at fault
        message_unclaim(message=message, delay=datetime.timedelta(minutes=30))
