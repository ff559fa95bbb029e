"""The dispatcher (beat, every ~15 s): turn due enrollments into queued messages, per mailbox,
within every limit, and hand each mailbox's batch to one send task (DESIGN §4 step 3).

The tick only finds the mailboxes with due work that may send now (active, past their gap, their
caps not full: any other costs nothing per tick) and fans them out as `claim_mailboxes` tasks, by
shard (`workspace id % DISPATCH_SHARDS`, cut into batches of DISPATCH_CLAIM_BATCH mailboxes),
on the `claim` queue, so claiming spreads over every worker process and machine. Each claim is
set-based (campaigns/sending/claims.py): a few statements per batch of mailboxes, locks taken
with `SKIP LOCKED`, capacity spent through the rotation rules, the campaign's daily cap a locked
`CampaignDay` counter, messages unique per (enrollment, step). Due times are columns polled here —
never Celery ETAs. A tick runs one at a time and expires rather than piling up.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from accounts.models import Workspace
from campaigns.models import Campaign, Enrollment, OutboundMessage
from campaigns.sending.claims import BATCH, mailboxes_claim
from core import heartbeat
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)


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


def shards(mailbox_ids: list[int]) -> list[list[int]]:
    """The claim batches of a tick: mailboxes grouped by their workspace's shard (`workspace id
    % DISPATCH_SHARDS`), a workspace's mailboxes together, each shard cut into batches of at
    most DISPATCH_CLAIM_BATCH. A workspace's campaigns' counters and its balance are locked by
    the claim: kept in one shard, concurrent claims rarely wait for each other."""
    if not mailbox_ids:
        return []
    count, size = max(1, settings.DISPATCH_SHARDS), max(1, settings.DISPATCH_CLAIM_BATCH)
    owners = Mailbox.objects.filter(pk__in=mailbox_ids).values_list("workspace_id", "pk")
    by_shard: dict[int, list[tuple[int, int]]] = {}
    for workspace_id, pk in owners:
        by_shard.setdefault(workspace_id % count, []).append((workspace_id, pk))
    batches = []
    for shard in sorted(by_shard):
        members = [pk for _workspace, pk in sorted(by_shard[shard])]
        batches += [members[i : i + size] for i in range(0, len(members), size)]
    return batches


def dispatch_tick(now: datetime.datetime | None = None) -> int:
    """Claim and enqueue for every mailbox with due work, in this process (tests, benchmarks
    and the embedded install's `manage.py` helpers); returns the messages enqueued."""
    now = now or timezone.now()
    return sum(mailboxes_claim_and_send(mailbox_ids=b, now=now) for b in shards(due_mailboxes(now)))


def mailboxes_claim_and_send(
    *, mailbox_ids: list[int], now: datetime.datetime | None = None
) -> int:
    """One shard's claim (what a `claim_mailboxes` task runs): queue what these mailboxes may
    send now and hand each mailbox's messages to one send task; returns the messages queued."""
    from campaigns.tasks import send_mailbox_batch

    started = time.monotonic()
    claimed = mailboxes_claim(mailbox_ids=mailbox_ids, now=now or timezone.now())
    for mailbox_id, ids in claimed.items():
        send_mailbox_batch.delay(mailbox_id, ids)
    queued = sum(len(ids) for ids in claimed.values())
    took = time.monotonic() - started
    if took > TICK_SECONDS:
        logger.warning(
            "dispatch claim overran: %.1f s for %d mailboxes, %d messages (period %d s)",
            took,
            len(mailbox_ids),
            queued,
            TICK_SECONDS,
        )
    return queued


def messages_claim(*, mailbox_id: int, now: datetime.datetime, batch: int = BATCH) -> list[int]:
    """Queue up to `batch` messages for one mailbox, as far as its capacity allows (the
    set-based claim for a batch of one); returns their ids, retries first."""
    return mailboxes_claim(mailbox_ids=[mailbox_id], now=now, batch=batch).get(mailbox_id, [])


TICK = "dispatch"
TICK_SECONDS = 15  # the beat schedule's period (postigo/celery.py)
# A claim task not started within a period is dropped: the next tick enqueues a fresh one for
# whatever is still due, instead of a backlog of stale claims for the same mailboxes.
CLAIM_EXPIRES = TICK_SECONDS - 1


def dispatch_tick_once(now: datetime.datetime | None = None) -> int | None:
    """Beat's tick: one at a time across every worker and beat (a tick published while another
    still runs is skipped: None); finds the mailboxes with due work and enqueues one claim task
    per shard batch, each expiring before the next tick would claim the same mailboxes again.
    Returns the mailboxes fanned out; a completed tick is recorded for /healthz, and one that
    overran its period is logged with its size."""
    from campaigns.tasks import claim_mailboxes

    with heartbeat.single_flight(TICK, timeout=10 * TICK_SECONDS) as held:
        if not held:
            logger.info("dispatch tick skipped: the previous one is still running")
            return None
        started = time.monotonic()
        due = due_mailboxes(now or timezone.now())
        batches = shards(due)
        for batch in batches:
            claim_mailboxes.apply_async((batch,), expires=CLAIM_EXPIRES)
        took = time.monotonic() - started
        heartbeat.beat(TICK)
        if took > TICK_SECONDS:
            logger.warning(
                "dispatch tick overran: %.1f s for %d mailboxes in %d claim tasks (period %d s)",
                took,
                len(due),
                len(batches),
                TICK_SECONDS,
            )
        return len(due)
