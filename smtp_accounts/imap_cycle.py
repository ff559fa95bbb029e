"""The inbox cycle: every mailbox read once per cycle, spread over it, never twice at a time.

Beat ticks every INBOX_SYNC_TICK_SECONDS; a cycle of INBOX_SYNC_CYCLE_SECONDS holds
cycle / tick slots, and a mailbox belongs to slot `id mod slots`. Each tick queues the reads of
its slot's mailboxes only, so a cycle's connections are spread evenly over it instead of
arriving at once, and each mailbox is queued once per cycle.

No pile-up: a queued read marks the mailbox (`imap_sync_queued_at`) until it starts; a mailbox
whose read from the last cycle has not started yet is not queued again — the cycle overran, and
the tick logs by how many mailboxes. A read takes the mailbox's lock (`imap_sync_started_at`,
set by a conditional UPDATE, so it holds across processes and machines on PostgreSQL and
SQLite alike); a mailbox already being read is skipped. A mark or a lock older than
STALE_AFTER is taken to be a dead worker's and ignored.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Mod
from django.utils import timezone

from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

STALE_AFTER = datetime.timedelta(minutes=30)


def cycle_slots() -> int:
    return max(1, settings.INBOX_SYNC_CYCLE_SECONDS // max(1, settings.INBOX_SYNC_TICK_SECONDS))


def cycle_slot(now: datetime.datetime) -> int:
    """The slot whose mailboxes the tick at `now` reads."""
    return int(now.timestamp() // max(1, settings.INBOX_SYNC_TICK_SECONDS)) % cycle_slots()


def in_slot(mailboxes, slot: int):
    """Of these mailboxes (a queryset), those of the slot."""
    return mailboxes.annotate(cycle_slot=Mod("pk", cycle_slots())).filter(cycle_slot=slot)


def mailboxes_queue(*, mailbox_ids: list[int]) -> list[int]:
    """Mark these mailboxes' reads queued; returns those marked. A mailbox whose last queued
    read has not started is left out (and counted in the overrun warning)."""
    now = timezone.now()
    free = Q(imap_sync_queued_at__isnull=True) | Q(imap_sync_queued_at__lt=now - STALE_AFTER)
    waiting = set(
        Mailbox.objects.filter(pk__in=mailbox_ids).exclude(free).values_list("pk", flat=True)
    )
    queued = [pk for pk in mailbox_ids if pk not in waiting]
    Mailbox.objects.filter(pk__in=queued).update(imap_sync_queued_at=now)
    if waiting:
        logger.warning(
            "inbox cycle overran: %d of %d mailboxes of this slot still wait for the last "
            "cycle's read (%d queued now); add inbox workers (docs/DEPLOY.md)",
            len(waiting),
            len(mailbox_ids),
            len(queued),
        )
    return queued


def mailbox_sync_lock(*, mailbox_id: int) -> bool:
    """Take the mailbox's read lock (and clear its queued mark); False if a read holds it."""
    now = timezone.now()
    free = Q(imap_sync_started_at__isnull=True) | Q(imap_sync_started_at__lt=now - STALE_AFTER)
    taken = Mailbox.objects.filter(free, pk=mailbox_id).update(
        imap_sync_started_at=now, imap_sync_queued_at=None
    )
    return taken == 1


def mailbox_sync_unlock(*, mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(imap_sync_started_at=None)
