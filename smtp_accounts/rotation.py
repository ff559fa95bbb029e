"""Which mailbox sends, and whether it may send now (DESIGN §4 steps 2-3).

`assign_mailboxes` spreads new enrollments over mailboxes in proportion to their daily
capacity and health (smooth weighted round-robin, so every prefix is spread evenly too).
`reserve_send_slot` spends capacity for one mailbox: under a row lock it checks the
status, the minimum gap, the day's cap (with warm-up, reset at midnight in the mailbox's
time zone) and the clock hour's cap, and records the send. The dispatcher's set-based claim
(campaigns/sending/claims.py) spends it for many locked rows at once through the same two
rules, `send_room` and `slots_spent`. Two dispatchers at once can therefore never exceed a cap.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from smtp_accounts.models import Mailbox


class NoMailboxAvailable(Exception):
    """No active mailbox can take new leads."""


def weight(mailbox: Mailbox, today: datetime.date) -> float:
    """Share of new enrollments: daily capacity, halved for each recent failure (up to 3)."""
    if mailbox.status != Mailbox.Status.ACTIVE:
        return 0.0
    return mailbox.effective_daily_cap(today) * 0.5 ** min(mailbox.consecutive_failures, 3)


def assign_mailboxes(
    mailboxes: Sequence[Mailbox], count: int, *, today: datetime.date | None = None
) -> list[Mailbox]:
    """Pick a (sticky) mailbox for each of `count` new enrollments."""
    today = today or timezone.now().date()
    weights = [(m, weight(m, today)) for m in mailboxes]
    weights = [(m, w) for m, w in weights if w > 0]
    if not weights:
        raise NoMailboxAvailable(gettext("No active mailbox can take new leads."))
    total = sum(w for _, w in weights)
    current = [0.0] * len(weights)
    chosen = []
    for _ in range(count):
        for i, (_m, w) in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=current.__getitem__)
        current[best] -= total
        chosen.append(weights[best][0])
    return chosen


def reserve_send_slot(*, mailbox_id: int) -> bool:
    """Spend one send of the mailbox's capacity now, if every limit allows it."""
    return reserve_send_slots(mailbox_id=mailbox_id, wanted=1) == 1


def reserve_send_slots(*, mailbox_id: int, wanted: int) -> int:
    """Spend up to `wanted` sends of the mailbox's capacity now; returns how many were granted.

    With a minimum gap between sends, at most one is granted (the gap then starts).
    """
    if wanted <= 0:
        return 0
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox_id)
        now = timezone.now()
        if mailbox.status != Mailbox.Status.ACTIVE:
            return 0
        if mailbox.next_send_at is not None and now < mailbox.next_send_at:
            return 0
        granted = min(wanted, send_room(mailbox, now))
        Mailbox.objects.filter(pk=mailbox.pk).update(**slots_spent(mailbox, now, granted))
        return max(granted, 0)


def send_room(mailbox: Mailbox, now: datetime.datetime) -> int:
    """How many sends the mailbox's caps allow now (the row locked by the caller; status and
    gap already checked): what is left of the day's and the hour's caps, one with a gap."""
    today = mailbox.local_date(now)
    granted = min(
        mailbox.effective_daily_cap(today) - mailbox.sent_on(today),
        mailbox.hourly_cap - _sent_this_hour(mailbox, now),
    )
    if mailbox.min_gap_seconds or mailbox.gap_jitter_seconds:
        granted = min(granted, 1)
    return max(granted, 0)


def slots_spent(mailbox: Mailbox, now: datetime.datetime, granted: int) -> dict:
    """The mailbox's new counter values once `granted` sends are spent now; with none granted,
    a full cap only records when it frees up (the dispatcher need not come back before)."""
    today = mailbox.local_date(now)
    sent_today, sent_this_hour = mailbox.sent_on(today), _sent_this_hour(mailbox, now)
    if granted <= 0:
        return {
            "capped_until": capped_until(
                mailbox, now, sent_today=sent_today, sent_this_hour=sent_this_hour
            )
        }
    gap = mailbox.min_gap_seconds + random.randint(0, mailbox.gap_jitter_seconds)
    return {
        "sent_today": sent_today + granted,
        "sent_today_date": today,
        "sent_this_hour": sent_this_hour + granted,
        "hour_window_start": now.replace(minute=0, second=0, microsecond=0),
        "next_send_at": now + datetime.timedelta(seconds=gap) if gap else None,
        "capped_until": capped_until(
            mailbox, now, sent_today=sent_today + granted, sent_this_hour=sent_this_hour + granted
        ),
    }


def _sent_this_hour(mailbox: Mailbox, now: datetime.datetime) -> int:
    hour = now.replace(minute=0, second=0, microsecond=0)
    return mailbox.sent_this_hour if mailbox.hour_window_start == hour else 0


def capped_until(
    mailbox: Mailbox, now: datetime.datetime, *, sent_today: int, sent_this_hour: int
) -> datetime.datetime | None:
    """When the mailbox's full caps free up (the next clock hour; midnight in its time zone),
    or None while neither is full."""
    today = mailbox.local_date(now)
    frees = []
    if sent_this_hour >= mailbox.hourly_cap:
        frees.append(now.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1))
    if sent_today >= mailbox.effective_daily_cap(today):
        tz = zoneinfo.ZoneInfo(mailbox.timezone)
        tomorrow = today + datetime.timedelta(days=1)
        frees.append(datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=tz))
    return max(frees, default=None)
