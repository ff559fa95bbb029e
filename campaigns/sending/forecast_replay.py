"""The forecast's engine (`forecast.py` reads the campaign and says what this finds): the
dispatcher's hours replayed on groups of leads, each rule taken from where it lives (the
schedule, the mailbox's caps and warm-up, the campaign's daily cap on new leads, a step's wait).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from campaigns.models import Campaign, Lead
from campaigns.schedule import next_send_time, send_stretch
from campaigns.sending.dispatch import TICK_SECONDS
from smtp_accounts.models import Mailbox

HORIZON_DAYS = 366
HOUR = datetime.timedelta(hours=1)


@dataclass
class ForecastDay:
    """What goes out on one day of the campaign's time zone."""

    date: datetime.date
    new_leads: int = 0
    follow_ups: int = 0


@dataclass
class Group:
    """Leads the dispatcher treats alike: same mailbox, next step, zone and due time."""

    due: datetime.datetime
    seq: int
    mailbox_id: int
    step: int
    zone: str
    count: int
    initial: bool = False  # read from the database (not produced by the simulation)
    in_flight: bool = False  # its message is being sent: taken as sent now

    def key(self):
        return (self.due, self.seq)


def zone_lead(campaign: Campaign, zone: str) -> Lead | None:
    """A stand-in lead that the schedule times in `zone`."""
    return Lead(timezone=zone) if campaign.lead_time_zones else None


def local_date(zone: str, moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


class Replay:
    """The dispatcher's hours, replayed on groups of leads."""

    def __init__(self, campaign, steps, mailboxes, now, forecast, new_today, seq):
        self.campaign, self.steps, self.mailboxes = campaign, steps, mailboxes
        self.now, self.forecast, self.seq = now, forecast, seq
        self.queues: dict[int, list[Group]] = defaultdict(list)  # per mailbox, oldest due first
        self.new_on: dict[datetime.date, int] = defaultdict(int)
        self.new_on[local_date(campaign.timezone, now)] = new_today
        self.day_used: dict[tuple[int, datetime.date], int] = defaultdict(int)
        self.hour_used: dict[tuple[int, datetime.datetime], int] = defaultdict(int)
        self.days: dict[datetime.date, ForecastDay] = {}
        self.sent_so_far: dict[tuple[int, int], int] = defaultdict(int)
        self.stretches: dict[tuple[str, datetime.datetime], tuple | None] = {}
        self.positions = sorted(steps)

    def run(self, groups: list[Group]) -> None:
        for group in groups:
            if group.in_flight:
                self._sent(group, group.count, self.now, self.now)
            else:
                self._add(group)
        hour = self.now.replace(minute=0, second=0, microsecond=0)
        horizon = self.now + datetime.timedelta(days=HORIZON_DAYS)
        while any(self.queues.values()) and hour < horizon:
            self._hour(hour)
            hour = max(hour + HOUR, self._next_hour(hour + HOUR))
        self.forecast.complete = not any(self.queues.values()) and self.forecast.complete
        self.forecast.days = [self.days[d] for d in sorted(self.days)]

    def _add(self, group: Group) -> None:
        bisect.insort(self.queues[group.mailbox_id], group, key=Group.key)

    def _open(self, zone: str, start: datetime.datetime, end: datetime.datetime):
        """The part of [start, end) inside the schedule of `zone`'s leads, or None."""
        key = (zone, start)
        if key not in self.stretches:
            self.stretches[key] = send_stretch(
                self.campaign, start, lead=zone_lead(self.campaign, zone)
            )
        stretch = self.stretches[key]
        if stretch is None or stretch[0] >= end:
            return None
        return stretch[0], min(stretch[1], end)

    def _next_hour(self, after: datetime.datetime) -> datetime.datetime:
        """The clock hour in which something may next happen: a group falls due, or a
        window opens for a group already due."""
        soonest = None
        for group in itertools.chain.from_iterable(self.queues.values()):
            moment = group.due if group.due >= after else None
            if moment is None:
                stretch = self._open(group.zone, after, after + datetime.timedelta(days=30))
                moment = stretch[0] if stretch else None
            if moment is not None and (soonest is None or moment < soonest):
                soonest = moment
        if soonest is None:  # nothing left, or nothing that can ever send again: stop
            self.forecast.complete = not any(self.queues.values()) and self.forecast.complete
            self.queues.clear()
            return after
        return soonest.replace(minute=0, second=0, microsecond=0)

    def _hour(self, hour: datetime.datetime) -> None:
        start, end = max(hour, self.now), hour + HOUR
        plans = {}
        for mailbox_id, queue in self.queues.items():
            if queue:
                plans[mailbox_id] = self._plan(self.mailboxes[mailbox_id], queue, start, end)
        today = local_date(self.campaign.timezone, start)
        new_left = max(0, self.campaign.daily_cap - self.new_on[today])
        wanted = {pk: plan["new"] for pk, plan in plans.items()}
        allowed = _share(new_left, wanted)
        for mailbox_id, plan in plans.items():
            self._send(mailbox_id, plan, allowed[mailbox_id], new_left < sum(wanted.values()))

    def _plan(self, mailbox: Mailbox, queue: list[Group], start, end) -> dict:
        """What the mailbox could send in [start, end): its slots, the groups due with their
        window open, and how many of those slots first steps would take."""
        if mailbox.next_send_at and mailbox.next_send_at > start:
            start = min(mailbox.next_send_at, end)
        ready, opens, closes = [], [], []
        for group in queue:
            if group.due >= end:
                break
            span = self._open(group.zone, max(start, group.due), end)
            if span:
                ready.append(group)
                opens.append(span[0])
                closes.append(span[1])
        if not ready:
            return {"ready": [], "slots": 0, "new": 0}
        first, last = min(opens), max(closes)
        gap = mailbox.min_gap_seconds + mailbox.gap_jitter_seconds / 2
        if gap:
            gap += TICK_SECONDS / 2  # a gap ends between two ticks of the dispatcher
        day = mailbox.local_date(first)
        day_sent = self.day_used[(mailbox.pk, day)]
        if day == mailbox.local_date(self.now):
            day_sent += mailbox.sent_on(day)
        hour = first.replace(minute=0, second=0, microsecond=0)
        hour_sent = self.hour_used[(mailbox.pk, hour)]
        if mailbox.hour_window_start == hour:
            hour_sent += mailbox.sent_this_hour
        slots = min(
            mailbox.effective_daily_cap(day) - day_sent,
            mailbox.hourly_cap - hour_sent,
            int((last - first).total_seconds() // gap) + 1 if gap else 10**9,
        )
        slots = max(0, slots)
        left, new = slots, 0
        for group in ready:
            taken = min(left, group.count)
            new += taken if group.step == 1 else 0
            left -= taken
        return {"ready": ready, "slots": slots, "new": new, "first": first, "gap": gap,
                "day": day, "hour": hour, "end": end}  # fmt: skip

    def _send(self, mailbox_id: int, plan: dict, allowed: int, cap_full: bool) -> None:
        used = 0
        for group in plan["ready"]:
            if used >= plan["slots"]:
                break
            take = min(group.count, plan["slots"] - used)
            if group.step == 1:
                take = min(take, allowed)
                allowed -= take
            if take:
                first = plan["first"] + datetime.timedelta(seconds=plan["gap"] * used)
                last = first + datetime.timedelta(seconds=plan["gap"] * (take - 1))
                used += take
                self._sent(group, take, first, min(last, plan["first"] + HOUR))
                group.count -= take
            if group.step == 1 and group.count and cap_full:
                # Over the campaign's daily cap: the dispatcher moves it to the next local day.
                group.due = self._tomorrow(group)
                group.seq = next(self.seq)
        queue = self.queues[mailbox_id]
        queue[:] = _merged(sorted((g for g in queue if g.count), key=Group.key), plan.get("end"))
        self.day_used[(mailbox_id, plan.get("day"))] += used
        self.hour_used[(mailbox_id, plan.get("hour"))] += used
        if not queue:
            del self.queues[mailbox_id]

    def _tomorrow(self, group: Group) -> datetime.datetime:
        tz = zoneinfo.ZoneInfo(self.campaign.timezone)
        date = group.due.astimezone(tz).date() + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(date, datetime.time(0), tzinfo=tz)
        later = next_send_time(self.campaign, midnight, lead=zone_lead(self.campaign, group.zone))
        return later or group.due + datetime.timedelta(days=HORIZON_DAYS)

    def _sent(self, group: Group, n: int, first: datetime.datetime, at: datetime.datetime):
        """`n` leads of `group` got their step from `first` to `at`: count them, and queue the
        next step (after the last of them, to be safe)."""
        forecast = self.forecast
        if group.initial and not group.in_flight:
            key = (group.mailbox_id, group.step)
            self.sent_so_far[key] += n
            forecast.timelines.setdefault(key, []).append((self.sent_so_far[key], at))
        if not group.in_flight:
            date = local_date(self.campaign.timezone, at)
            day = self.days.setdefault(date, ForecastDay(date))
            if group.step == 1:
                day.new_leads += n
                self.new_on[date] += n
            else:
                day.follow_ups += n
            if forecast.first_send is None or first < forecast.first_send:
                forecast.first_send = first
            if forecast.last_send is None or at > forecast.last_send:
                forecast.last_send = at
        following = next((p for p in self.positions if p > group.step), None)
        if following is None:
            return
        due = next_send_time(
            self.campaign,
            at + self.steps[following].wait,
            lead=zone_lead(self.campaign, group.zone),
        )
        if due is None:
            forecast.complete = False
            return
        self._add(Group(due, next(self.seq), group.mailbox_id, following, group.zone, n))


def _merged(queue: list[Group], due_by: datetime.datetime | None) -> list[Group]:
    """The queue with neighbours that are alike and both due by `due_by` made one group: the
    dispatcher takes them one after the other anyway (a backlog of follow-ups waiting behind
    new leads would otherwise be one group per hour of sending). Groups read from the database
    stay apart: the People page reads their timelines."""
    if due_by is None:
        return queue
    merged: list[Group] = []
    for group in queue:
        last = merged[-1] if merged else None
        if (
            last is not None
            and not (last.initial or group.initial)
            and (last.step, last.zone) == (group.step, group.zone)
            and group.due < due_by
        ):
            last.count += group.count
        else:
            merged.append(group)
    return merged


def _share(total: int, wanted: dict[int, int]) -> dict[int, int]:
    """`total` shared among `wanted` as evenly as their wants allow (water-filling): the
    dispatcher visits every mailbox each tick, so a capped campaign's new leads spread."""
    given = dict.fromkeys(wanted, 0)
    left = total
    hungry = sorted((n, pk) for pk, n in wanted.items() if n > 0)
    while hungry and left > 0:
        each = max(1, left // len(hungry))
        n, pk = hungry[0]
        if n <= each:
            given[pk] = n
            left -= n
            hungry.pop(0)
            continue
        for _n, pk in hungry:
            share = min(each, left)
            given[pk] += share
            left -= share
        break
    return given
