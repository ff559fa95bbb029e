"""Running the inbox reads: which mailboxes are read, when, and one mailbox's read.

Beat's tick (`inbox_sync_tick`) takes its slot of the cycle (`smtp_accounts/imap_cycle.py`):
the active mailboxes with IMAP that sent campaign mail in the last 90 days and are not backing
off, in that slot, not still waiting from the last cycle; it queues them in tasks of
INBOX_SYNC_BATCH mailboxes. A task reads its mailboxes one after the other
(`mailboxes_inbox_sync`), each under the mailbox's lock, on the worker's kept IMAP connections
(`smtp_accounts/imap_pool.py`). What a read finds is handled by `receive.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db.models import Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.inbox.bounces import ANSWERABLE
from campaigns.inbox.receive import (
    JUDGED_ON,
    MATCH_BY_ADDRESS_WITHIN,
    mail_receive,
    wanted_batch,
)
from campaigns.models import OutboundMessage
from smtp_accounts.imap_cycle import (
    cycle_slot,
    cycle_slots,
    in_slot,
    mailbox_sync_lock,
    mailbox_sync_unlock,
    mailboxes_queue,
)
from smtp_accounts.imap_sync import (
    SyncError,
    SyncResult,
    mailbox_read_failed,
    mailbox_read_succeeded,
    mailbox_sync,
    mailboxes_due_for_reading,
)
from smtp_accounts.models import Mailbox

logger = logging.getLogger(__name__)

State = OutboundMessage.State


def mailbox_inbox_sync(*, mailbox_id: int) -> SyncResult | None:
    """Read the mailbox's new mail into replies, auto-replies and bounces.

    A mailbox that never sent a campaign message has nothing to read. Refused credentials pause
    the mailbox and tell the workspace, as a refused SMTP login does; every failure is shown on
    the mailbox list, and the next runs back off (`mailboxes_to_sync`).
    """
    mailbox = Mailbox.objects.filter(pk=mailbox_id).exclude(imap_host="").first()
    if mailbox is None:
        return None
    first_sent = OutboundMessage.objects.filter(mailbox=mailbox, state__in=ANSWERABLE).aggregate(
        first=Min(Coalesce("sent_at", "sending_at"))
    )["first"]
    if first_sent is None:
        return None
    try:
        result = mailbox_sync(
            mailbox,
            partial(_handle, mailbox),
            since=first_sent,
            wanted=partial(wanted_batch, mailbox),
            judged_on=JUDGED_ON,
        )
    except SyncError as exc:
        mailbox_read_failed(mailbox=mailbox, error=exc)
        return None
    mailbox_read_succeeded(mailbox=mailbox)
    return result


def _handle(mailbox: Mailbox, items) -> int:
    """A fetched batch at once; if that fails, one by one, so one bad mail is all that is
    skipped. Returns how many were skipped."""
    try:
        mail_receive(mailbox=mailbox, items=items)
        return 0
    except Exception:
        logger.exception("Mailbox %s: a batch failed; reading it one by one", mailbox.pk)
    skipped = 0
    for item in items:
        try:
            mail_receive(mailbox=mailbox, items=[item])
        except Exception:
            skipped += 1
            logger.exception("Mailbox %s: a message could not be read", mailbox.pk)
    return skipped


@dataclass
class BatchResult:
    read: int = 0  # mailboxes read
    failed: int = 0  # mailboxes whose read failed (or had nothing to read)
    skipped: int = 0  # mailboxes another read held


def mailboxes_inbox_sync(*, mailbox_ids: list[int]) -> BatchResult:
    """Read these mailboxes one after the other, each under its lock (one being read
    elsewhere is skipped)."""
    done = BatchResult()
    for mailbox_id in mailbox_ids:
        if not mailbox_sync_lock(mailbox_id=mailbox_id):
            done.skipped += 1
            continue
        try:
            if mailbox_inbox_sync(mailbox_id=mailbox_id) is None:
                done.failed += 1
            else:
                done.read += 1
        finally:
            mailbox_sync_unlock(mailbox_id=mailbox_id)
    return done


def mailboxes_to_sync(*, slot: int | None = None) -> list[int]:
    """Active mailboxes with IMAP that sent campaign mail in the last 90 days (of one slot of the
    cycle, if given); one whose reads keep failing waits 2, 4, 8 … up to 60 minutes between
    tries."""
    since = timezone.now() - MATCH_BY_ADDRESS_WITHIN
    recent = OutboundMessage.objects.filter(
        Q(state=State.SENT, sent_at__gte=since) | Q(state=State.UNKNOWN, sending_at__gte=since)
    )
    mailboxes = Mailbox.objects.filter(pk__in=recent.values("mailbox_id"))
    if slot is not None:
        mailboxes = in_slot(mailboxes, slot)
    return mailboxes_due_for_reading(mailboxes)


def inbox_sync_tick(*, now=None) -> list[list[int]]:
    """Beat's tick: the batches of mailbox ids to read now (their slot of the cycle), marked
    queued, each batch of one shard (`inbox_queue`); the caller queues one task per batch."""
    slot = cycle_slot(now or timezone.now())
    queued = mailboxes_queue(mailbox_ids=sorted(mailboxes_to_sync(slot=slot)))
    size = max(1, settings.INBOX_SYNC_BATCH)
    by_shard: dict[str, list[int]] = {}
    for pk in queued:
        by_shard.setdefault(inbox_queue(pk), []).append(pk)
    return [ids[at : at + size] for ids in by_shard.values() for at in range(0, len(ids), size)]


def inbox_queue(mailbox_id: int) -> str:
    """The queue a mailbox's reads go to: "inbox", or with INBOX_SYNC_SHARDS > 1 its shard's
    "inbox.<n>", so that one worker process (and its kept connections) reads it every cycle."""
    shards = settings.INBOX_SYNC_SHARDS
    if shards <= 1:
        return "inbox"
    return f"inbox.{(mailbox_id // cycle_slots()) % shards}"  # not by slot: every shard ticks
