"""The dispatcher (beat, every ~15 s): turn due enrollments into queued messages, per mailbox,
within every limit, and hand each mailbox's batch to one send task (DESIGN §4 step 3).

Claims lock rows with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so dispatchers running
at once never claim the same enrollment; on SQLite, whose writers are serialised (IMMEDIATE
transactions), the same code is safe without the lock clause. Capacity is spent through
`reserve_send_slots`, and `OutboundMessage` is unique per (enrollment, step): a message can be
created once (a duplicate would abort the whole claim). The campaign's daily cap is a
`CampaignDay` counter row, locked and incremented in the claim, so it is exact under concurrent
claims and costs the same whatever the history; mailboxes that cannot send now (gap, full cap,
paused) are left out of `due_mailboxes`. Due times are columns polled here — never Celery ETAs.
"""

from __future__ import annotations

import datetime
import logging
import random
import time

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Workspace
from campaigns.leads.suppression import Suppressions
from campaigns.lifecycle import enrollment_complete, enrollments_stop
from campaigns.models import (
    Campaign,
    CampaignDay,
    Enrollment,
    OutboundMessage,
    Step,
    StopReason,
)
from campaigns.schedule import in_window, next_send_time, send_zone
from campaigns.sending.billing_gate import admissible
from core import heartbeat
from core.db import create_each
from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import reserve_send_slots

logger = logging.getLogger(__name__)

# Messages a mailbox hands to one send task (one SMTP session). The task claims them a chunk
# at a time and passes what it has not reached after delivery.BUDGET seconds to a new task, so
# a large batch neither strands more on a crash nor holds a worker for long.
BATCH = 200
RETRY_JITTER = 600


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def due_mailboxes(now: datetime.datetime) -> list[int]:
    """The mailboxes with due work that may send now: active, past their gap, their caps not
    full (`Mailbox.capped_until`). Any other costs nothing per tick."""
    sendable = (
        Mailbox.objects.filter(status=Mailbox.Status.ACTIVE)
        .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=now))
        .filter(Q(capped_until__isnull=True) | Q(capped_until__lte=now))
        .values("pk")
    )
    enrollments = (
        Enrollment.objects.active()
        .filter(
            next_due_at__lte=now,
            campaign__status=Campaign.Status.RUNNING,
            campaign__workspace__in=Workspace.objects.allowed_to_send(),
            mailbox_id__in=sendable,
        )
        .values_list("mailbox_id", flat=True)
    )
    retries = OutboundMessage.objects.filter(
        state=OutboundMessage.State.QUEUED,
        next_attempt_at__lte=now,
        mailbox_id__in=sendable,
        mailbox__workspace__in=Workspace.objects.allowed_to_send(),
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
    """Queue up to `batch` messages for one mailbox, as far as its capacity allows.

    One transaction: lock the due retries and enrollments, decide for each (window, campaign
    cap, suppression), reserve capacity for the eligible ones at once, create their messages.
    """
    with transaction.atomic():
        retries = list(
            _locked(OutboundMessage.objects.filter(mailbox_id=mailbox_id))
            .filter(state=OutboundMessage.State.QUEUED, next_attempt_at__lte=now)
            .filter(mailbox__workspace__in=Workspace.objects.allowed_to_send())
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch]
        )
        enrollments = list(
            _locked(Enrollment.objects.filter(mailbox_id=mailbox_id))
            .active()
            .filter(
                next_due_at__lte=now,
                campaign__status=Campaign.Status.RUNNING,
                # A suspended workspace, or one whose only owners are deactivated, sends nothing.
                campaign__workspace__in=Workspace.objects.allowed_to_send(),
            )
            .select_related("lead")
            .order_by("next_due_at", "pk")[: batch - len(retries)]
        )
        attach_campaigns(enrollments)
        eligible = _eligible(enrollments, now)
        wanted = admissible(len(retries), eligible)  # what the balance pays for
        granted = reserve_send_slots(mailbox_id=mailbox_id, wanted=wanted)
        retries, eligible = retries[:granted], eligible[: max(0, granted - len(retries))]
        OutboundMessage.objects.filter(pk__in=retries).update(next_attempt_at=None)
        messages = [
            OutboundMessage(
                enrollment=enrollment,
                step=step,
                variant=_choose_variant(step, enrollment),
                mailbox_id=mailbox_id,
                recipient=enrollment.lead.email,
                queued_at=now,
            )
            for enrollment, step in eligible
        ]
        create_each(messages)
        _count_new_leads(eligible, now)
        # In flight: the send result schedules each lead's next step.
        Enrollment.objects.filter(pk__in=[e.pk for e, _step in eligible]).update(next_due_at=None)
    return retries + [m.pk for m in messages]


def attach_campaigns(enrollments: list[Enrollment]) -> None:
    """One campaign object (with its workspace) per campaign, shared by its enrollments."""
    campaigns = Campaign.objects.filter(pk__in={e.campaign_id for e in enrollments})
    campaigns = {c.pk: c for c in campaigns.select_related("workspace")}
    for enrollment in enrollments:
        enrollment.campaign = campaigns[enrollment.campaign_id]


def _eligible(enrollments: list[Enrollment], now: datetime.datetime) -> list[tuple]:
    """(enrollment, step) for those that may send now; the others are rescheduled or ended."""
    eligible = []
    steps: dict[int, dict[int, Step]] = {}
    open_now: dict[tuple[int, str], bool] = {}  # (campaign, the zone its leads are timed in)
    new_today = _new_today(
        [e.campaign for e in enrollments if e.next_step == 1], now
    )  # locked until the claim commits
    suppressions: dict[int, Suppressions] = {}
    for enrollment in enrollments:
        campaign = enrollment.campaign
        if campaign.pk not in steps:
            steps[campaign.pk] = {
                s.position: s for s in campaign.steps.prefetch_related("variants")
            }
        if campaign.workspace_id not in suppressions:
            addresses = [
                e.lead.email
                for e in enrollments
                if e.campaign.workspace_id == campaign.workspace_id
            ]
            suppressions[campaign.workspace_id] = Suppressions.for_addresses(
                campaign.workspace, addresses
            )
        lead = enrollment.lead
        zone = (campaign.pk, send_zone(campaign, lead))
        if zone not in open_now:
            open_now[zone] = in_window(campaign, now, lead)
        step = steps[campaign.pk].get(enrollment.next_step)
        if step is None:  # the sequence was shortened meanwhile
            enrollment_complete(enrollment=enrollment)
        elif not open_now[zone]:
            later = next_send_time(campaign, now, lead=lead, jitter_seconds=RETRY_JITTER)
            _reschedule(enrollment, later)
        elif step.position == 1 and new_today[campaign.pk] >= campaign.daily_cap:
            tomorrow = _local_midnight_after(campaign, now)
            later = next_send_time(campaign, tomorrow, lead=lead, jitter_seconds=RETRY_JITTER)
            _reschedule(enrollment, later)
        elif enrollment.lead.email in suppressions[campaign.workspace_id]:
            enrollments_stop(enrollments=[enrollment.pk], reason=StopReason.SUPPRESSED)
        else:
            if step.position == 1:
                new_today[campaign.pk] += 1
            eligible.append((enrollment, step))
    return eligible


def _choose_variant(step: Step, enrollment: Enrollment):
    variants = [v for v in step.variants.all() if v.weight > 0] or list(step.variants.all())
    rng = random.Random(f"{enrollment.pk}:{step.pk}")
    return rng.choices(variants, weights=[max(v.weight, 1) for v in variants])[0]


def _new_today(campaigns: list[Campaign], now: datetime.datetime) -> dict[int, int]:
    """New leads each campaign has queued on its local day so far, its counter row locked until
    the claim commits (a concurrent claim for the same campaign waits, then reads the sum)."""
    days = {c.pk: _local_day(c, now) for c in campaigns}
    if not days:
        return {}
    CampaignDay.objects.bulk_create(
        [CampaignDay(campaign_id=pk, day=day) for pk, day in days.items()],
        ignore_conflicts=True,
    )
    rows = (
        CampaignDay.objects.select_for_update()
        .filter(campaign_id__in=days, day__in=set(days.values()))
        .order_by("campaign_id", "day")  # one locking order for every claim: no deadlock
        .values_list("campaign_id", "day", "new_leads")
    )
    return {pk: n for pk, day, n in rows if days[pk] == day}


def _count_new_leads(eligible: list[tuple], now: datetime.datetime) -> None:
    """Add the first steps this claim queued to their campaigns' counters (rows already locked)."""
    queued: dict[Campaign, int] = {}
    for enrollment, step in eligible:
        if step.position == 1:
            queued[enrollment.campaign] = queued.get(enrollment.campaign, 0) + 1
    for campaign, n in queued.items():
        CampaignDay.objects.filter(campaign=campaign, day=_local_day(campaign, now)).update(
            new_leads=F("new_leads") + n
        )


def _local_day(campaign: Campaign, now: datetime.datetime) -> datetime.date:
    import zoneinfo

    return now.astimezone(zoneinfo.ZoneInfo(campaign.timezone)).date()


def _local_midnight_after(campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    import zoneinfo

    tz = zoneinfo.ZoneInfo(campaign.timezone)
    tomorrow = now.astimezone(tz).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=tz)


def _reschedule(enrollment: Enrollment, due: datetime.datetime | None) -> None:
    Enrollment.objects.filter(pk=enrollment.pk).update(next_due_at=due)


TICK = "dispatch"
TICK_SECONDS = 15  # the beat schedule's period (postigo/celery.py)


def dispatch_tick_once(now: datetime.datetime | None = None) -> int | None:
    """One tick at a time across every worker and beat: a tick published while another still
    runs is skipped (None); a completed tick is recorded for /healthz, and one that overran
    its period is logged with its size."""
    with heartbeat.single_flight(TICK, timeout=10 * TICK_SECONDS) as held:
        if not held:
            logger.info("dispatch tick skipped: the previous one is still running")
            return None
        started = time.monotonic()
        sent = dispatch_tick(now)
        took = time.monotonic() - started
        heartbeat.beat(TICK)
        if took > TICK_SECONDS:
            logger.warning(
                "dispatch tick overran: %.1f s for %d messages (period %d s)",
                took,
                sent,
                TICK_SECONDS,
            )
        return sent
