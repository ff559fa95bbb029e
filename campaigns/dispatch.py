"""The dispatcher (beat, every ~15 s): turn due enrollments into queued messages, per mailbox,
within every limit, and hand each mailbox's batch to one send task (DESIGN §4 step 3).

Claims lock rows with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so dispatchers running
at once never claim the same enrollment; on SQLite, whose writers are serialised (IMMEDIATE
transactions), the same code is safe without the lock clause. Capacity is spent through
`reserve_send_slot`, and `OutboundMessage` is unique per (enrollment, step): a message can be
created once. Due times are columns polled here — never Celery ETAs.
"""

from __future__ import annotations

import datetime
import logging
import random

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, Enrollment, OutboundMessage, Step
from campaigns.schedule import in_window, next_send_time
from campaigns.suppression import is_suppressed
from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import reserve_send_slot

logger = logging.getLogger(__name__)

BATCH = 20
RETRY_JITTER = 600


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def due_mailboxes(now: datetime.datetime) -> list[int]:
    enrollments = Enrollment.objects.filter(
        status=Enrollment.Status.ACTIVE,
        next_due_at__lte=now,
        campaign__status=Campaign.Status.RUNNING,
        mailbox__status=Mailbox.Status.ACTIVE,
    ).values_list("mailbox_id", flat=True)
    retries = OutboundMessage.objects.filter(
        state=OutboundMessage.State.QUEUED,
        next_attempt_at__lte=now,
        mailbox__status=Mailbox.Status.ACTIVE,
    ).values_list("mailbox_id", flat=True)
    return sorted(set(enrollments.distinct()) | set(retries.distinct()))


def dispatch_tick(now: datetime.datetime | None = None) -> int:
    """Claim and enqueue for every mailbox with due work; returns the messages enqueued."""
    from campaigns.tasks import send_mailbox_batch

    now = now or timezone.now()
    total = 0
    for mailbox_id in due_mailboxes(now):
        ids = claim_for_mailbox(mailbox_id, now)
        if ids:
            send_mailbox_batch.delay(mailbox_id, ids)
            total += len(ids)
    return total


def claim_for_mailbox(mailbox_id: int, now: datetime.datetime, batch: int = BATCH) -> list[int]:
    """Queue up to `batch` messages for one mailbox, as long as it has capacity."""
    claimed: list[int] = []
    while len(claimed) < batch:
        with transaction.atomic():
            outcome = _claim_one(mailbox_id, now)
        if outcome is None:
            break
        if outcome:
            claimed.append(outcome)
    return claimed


def _claim_one(mailbox_id: int, now: datetime.datetime) -> int | bool | None:
    """A queued message id, False when an enrollment was only rescheduled, None when done."""
    retry = (
        _locked(OutboundMessage.objects.filter(mailbox_id=mailbox_id))
        .filter(state=OutboundMessage.State.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .first()
    )
    if retry is not None:
        if not reserve_send_slot(mailbox_id=mailbox_id):
            return None
        OutboundMessage.objects.filter(pk=retry.pk).update(next_attempt_at=None)
        return retry.pk

    enrollment = (
        _locked(Enrollment.objects.filter(mailbox_id=mailbox_id))
        .filter(
            status=Enrollment.Status.ACTIVE,
            next_due_at__lte=now,
            campaign__status=Campaign.Status.RUNNING,
        )
        .select_related("campaign", "lead")
        .order_by("next_due_at", "pk")
        .first()
    )
    if enrollment is None:
        return None
    campaign = enrollment.campaign
    step = campaign.steps.filter(position=enrollment.next_step).prefetch_related("variants").first()
    if step is None:  # the sequence was shortened meanwhile
        _finish(enrollment, Enrollment.Status.COMPLETED, "")
        return False
    if not in_window(campaign, now):
        _reschedule(enrollment, next_send_time(campaign, now, jitter_seconds=RETRY_JITTER))
        return False
    if step.position == 1 and _new_today(campaign, now) >= campaign.daily_cap:
        tomorrow = _local_midnight_after(campaign, now)
        _reschedule(enrollment, next_send_time(campaign, tomorrow, jitter_seconds=RETRY_JITTER))
        return False
    if is_suppressed(campaign.workspace, enrollment.lead.email):
        _finish(enrollment, Enrollment.Status.STOPPED, "suppressed")
        return False
    if not reserve_send_slot(mailbox_id=mailbox_id):
        return None
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                enrollment=enrollment,
                step=step,
                variant=_choose_variant(step, enrollment),
                mailbox_id=mailbox_id,
                recipient=enrollment.lead.email,
            )
    except IntegrityError:  # this step was already queued for this lead: never twice
        logger.warning("Enrollment %s step %s already has a message", enrollment.pk, step.pk)
        _reschedule(enrollment, None)
        return False
    _reschedule(enrollment, None)  # in flight: the send result schedules the next step
    return message.pk


def _choose_variant(step: Step, enrollment: Enrollment):
    variants = [v for v in step.variants.all() if v.weight > 0] or list(step.variants.all())
    rng = random.Random(f"{enrollment.pk}:{step.pk}")
    return rng.choices(variants, weights=[max(v.weight, 1) for v in variants])[0]


def _new_today(campaign: Campaign, now: datetime.datetime) -> int:
    start = _local_midnight_after(campaign, now) - datetime.timedelta(days=1)
    return OutboundMessage.objects.filter(
        enrollment__campaign=campaign, step__position=1, queued_at__gte=start
    ).count()


def _local_midnight_after(campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    import zoneinfo

    tz = zoneinfo.ZoneInfo(campaign.timezone)
    tomorrow = now.astimezone(tz).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=tz)


def _reschedule(enrollment: Enrollment, due: datetime.datetime | None) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(next_due_at=due)


def _finish(enrollment: Enrollment, status: str, reason: str) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=status, stop_reason=reason, next_due_at=None
    )
