"""What a campaign will do if it runs from now on: when its first email goes out, how many new
leads a day its limits let through, and when the last lead gets its last step (the Review page's
forecast, and the People page's "next send").

`campaign_forecast` simulates the dispatcher hour by hour (clock hours in UTC, as the mailboxes'
hourly caps count them) with the dispatcher's own rules, taken from where they live: the
schedule (`campaigns/schedule.py`: days, window, start date, time zones, clock changes), each
mailbox's daily cap with its warm-up, hourly cap and minimum gap (`Mailbox`), the campaign's
daily cap on new leads (a lead over it waits for the next local day, as `dispatch._eligible`
does), sticky mailboxes, work due oldest first, and each step's wait after the previous send.
It assumes nobody replies, bounces or unsubscribes and that the mailboxes send for this campaign
only, so it is the latest the sequence can end, given the mailboxes keep working.

The leads are read as groups that the dispatcher treats alike (mailbox, step, zone, due hour),
so the forecast costs a constant number of queries whatever the campaign's size.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Min
from django.db.models.functions import TruncHour

from campaigns.models import Campaign, CampaignDay, Enrollment, Lead
from campaigns.schedule import next_send_time, send_stretch, send_zone
from campaigns.sending.dispatch import TICK_SECONDS
from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import weight

HORIZON_DAYS = 366
HOUR = datetime.timedelta(hours=1)
UTC = datetime.UTC


@dataclass
class ForecastDay:
    """What goes out on one day of the campaign's time zone."""

    date: datetime.date
    new_leads: int = 0
    follow_ups: int = 0


@dataclass
class Forecast:
    zone: str  # the campaign's time zone, in which the times below are read
    leads: int = 0  # leads with a step still to send
    first_send: datetime.datetime | None = None
    last_send: datetime.datetime | None = None  # the last lead's last step
    days: list[ForecastDay] = field(default_factory=list)
    capacity_now: int = 0  # new leads a day the limits allow on the first sending day
    capacity_warm: int = 0  # ... once every mailbox has warmed up
    warm_on: datetime.date | None = None  # the day the last mailbox's warm-up ends
    stalled: int = 0  # leads whose mailbox does not send (paused, removed)
    complete: bool = True  # everything is sent within the horizon
    # (mailbox id, step position) -> [(sends so far, time)] for the groups read from the
    # database, in the order the dispatcher takes them: the People page's "next send".
    timelines: dict[tuple[int, int], list[tuple[int, datetime.datetime]]] = field(
        default_factory=dict
    )

    @property
    def new_per_day(self) -> int:
        """New leads on the first day that sends any."""
        return next((d.new_leads for d in self.days if d.new_leads), 0)

    @property
    def sending_days(self) -> int:
        return len(self.days)

    def local(self, moment: datetime.datetime | None) -> datetime.datetime | None:
        return moment.astimezone(zoneinfo.ZoneInfo(self.zone)) if moment else None

    def next_send(self, mailbox_id: int, step: int, ahead: int) -> datetime.datetime | None:
        """When the lead with `ahead` leads before it in its (mailbox, step) queue is sent."""
        timeline = self.timelines.get((mailbox_id, step), [])
        i = bisect.bisect_right([sent for sent, _at in timeline], ahead)
        return timeline[i][1] if i < len(timeline) else None


@dataclass
class _Group:
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


def campaign_forecast(*, campaign: Campaign, now: datetime.datetime) -> Forecast:
    """Simulate the campaign from `now` (as if running) until every lead had every step."""
    steps = {s.position: s for s in campaign.steps.all()}
    mailboxes = {m.pk: m for m in campaign.mailboxes.all()}
    forecast = Forecast(zone=campaign.timezone)
    if not steps or campaign.status in (Campaign.Status.COMPLETED, Campaign.Status.ARCHIVED):
        return forecast
    seq = itertools.count()
    if campaign.status == Campaign.Status.DRAFT:
        groups = _draft_groups(campaign, now, mailboxes, seq)
    else:
        groups = _enrolled_groups(campaign, now, seq)
    sendable = {pk for pk, m in mailboxes.items() if m.status == Mailbox.Status.ACTIVE}
    forecast.stalled = sum(g.count for g in groups if g.mailbox_id not in sendable)
    groups = [g for g in groups if g.mailbox_id in sendable]
    forecast.leads = sum(g.count for g in groups) + forecast.stalled
    _capacity(forecast, campaign, [mailboxes[pk] for pk in sorted(sendable)], now)
    new_today = (  # read even with nothing to send: the same queries for every campaign
        CampaignDay.objects.filter(campaign=campaign, day=_local_date(campaign.timezone, now))
        .values_list("new_leads", flat=True)
        .first()
    )
    if groups:
        _Simulation(campaign, steps, mailboxes, now, forecast, new_today or 0, seq).run(groups)
    return forecast


def _zone_lead(campaign: Campaign, zone: str) -> Lead | None:
    """A stand-in lead that the schedule times in `zone`."""
    return Lead(timezone=zone) if campaign.lead_time_zones else None


def _draft_groups(campaign, now, mailboxes, seq) -> list[_Group]:
    """Not launched: the leads launching now would enroll, spread over the active mailboxes as
    rotation spreads them (by weight), all due at the first moment of their schedule."""
    from campaigns.sending.launch import enrolled_leads

    rows = (
        enrolled_leads(campaign)
        .order_by()
        .values("timezone" if campaign.lead_time_zones else "workspace_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("timezone" if campaign.lead_time_zones else "workspace_id", "n")
    )
    by_zone: dict[str, int] = defaultdict(int)
    for zone, n in rows:
        lead = Lead(timezone=zone) if campaign.lead_time_zones else None
        by_zone[send_zone(campaign, lead)] += n
    active = [m for _pk, m in sorted(mailboxes.items()) if m.status == Mailbox.Status.ACTIVE]
    today = now.date()
    weights = [(m, weight(m, today)) for m in active]
    weights = [(m, w) for m, w in weights if w > 0]
    total = sum(w for _m, w in weights)
    groups = []
    for zone, n in sorted(by_zone.items()):
        due = next_send_time(campaign, now, lead=_zone_lead(campaign, zone))
        if due is None:
            continue
        shares = _split(n, [w / total for _m, w in weights]) if weights else []
        for (mailbox, _w), share in zip(weights, shares, strict=True):
            if share:
                groups.append(_Group(due, next(seq), mailbox.pk, 1, zone, share, initial=True))
        if not weights:  # no mailbox can send: they all stall
            groups.append(_Group(due, next(seq), 0, 1, zone, n, initial=True))
    return groups


def _split(n: int, shares: list[float]) -> list[int]:
    """`n` split in proportion to `shares` (largest remainders), summing to `n`."""
    exact = [n * s for s in shares]
    whole = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])
    for i in order[: n - sum(whole)]:
        whole[i] += 1
    return whole


def _enrolled_groups(campaign, now, seq) -> list[_Group]:
    """Launched: the active enrollments, grouped (one query). One in flight (no due time: its
    message is being sent) is taken as sent now."""
    zone_field = "lead__timezone" if campaign.lead_time_zones else "campaign__timezone"
    rows = (
        Enrollment.objects.filter(campaign=campaign)
        .active()
        .annotate(hour=TruncHour("next_due_at", tzinfo=UTC))
        .order_by()
        .values("mailbox_id", "next_step", "hour", zone_field)
        .annotate(n=Count("pk"), due=Min("next_due_at"))
        .values_list("mailbox_id", "next_step", zone_field, "n", "due")
    )
    groups = []
    for mailbox_id, step, zone, n, due in sorted(rows, key=lambda r: (r[4] or now, r[0] or 0)):
        zone = send_zone(campaign, Lead(timezone=zone) if campaign.lead_time_zones else None)
        when = max(due or now, now)
        groups.append(_Group(when, next(seq), mailbox_id or 0, step, zone, n, True, due is None))
    return groups


def _capacity(forecast: Forecast, campaign: Campaign, mailboxes: list[Mailbox], now) -> None:
    """New leads a day the limits allow: on the first sending day, once warmed up, and the day
    warm-up stops being the limit."""
    first = next_send_time(campaign, now) or now

    def allowed(moment: datetime.datetime) -> int:
        caps = sum(m.effective_daily_cap(m.local_date(moment)) for m in mailboxes)
        return min(campaign.daily_cap, caps)

    forecast.capacity_now = allowed(first)
    forecast.capacity_warm = min(campaign.daily_cap, sum(m.daily_cap for m in mailboxes))
    day = datetime.timedelta(days=1)
    for n in range(HORIZON_DAYS):  # warm-up ramps by whole days: the first day it allows all
        if allowed(first + n * day) >= forecast.capacity_warm:
            forecast.warm_on = _local_date(campaign.timezone, first + n * day) if n else None
            return
    forecast.capacity_warm = allowed(first + HORIZON_DAYS * day)  # e.g. a ramp of 0 a day


def _local_date(zone: str, moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


class _Simulation:
    """The dispatcher's hours, replayed on groups of leads."""

    def __init__(self, campaign, steps, mailboxes, now, forecast, new_today, seq):
        self.campaign, self.steps, self.mailboxes = campaign, steps, mailboxes
        self.now, self.forecast, self.seq = now, forecast, seq
        self.queues: dict[int, list[_Group]] = defaultdict(list)  # per mailbox, oldest due first
        self.new_on: dict[datetime.date, int] = defaultdict(int)
        self.new_on[_local_date(campaign.timezone, now)] = new_today
        self.day_used: dict[tuple[int, datetime.date], int] = defaultdict(int)
        self.hour_used: dict[tuple[int, datetime.datetime], int] = defaultdict(int)
        self.days: dict[datetime.date, ForecastDay] = {}
        self.sent_so_far: dict[tuple[int, int], int] = defaultdict(int)
        self.stretches: dict[tuple[str, datetime.datetime], tuple | None] = {}
        self.positions = sorted(steps)

    def run(self, groups: list[_Group]) -> None:
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

    def _add(self, group: _Group) -> None:
        bisect.insort(self.queues[group.mailbox_id], group, key=_Group.key)

    def _open(self, zone: str, start: datetime.datetime, end: datetime.datetime):
        """The part of [start, end) inside the schedule of `zone`'s leads, or None."""
        key = (zone, start)
        if key not in self.stretches:
            self.stretches[key] = send_stretch(
                self.campaign, start, lead=_zone_lead(self.campaign, zone)
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
        today = _local_date(self.campaign.timezone, start)
        new_left = max(0, self.campaign.daily_cap - self.new_on[today])
        wanted = {pk: plan["new"] for pk, plan in plans.items()}
        allowed = _share(new_left, wanted)
        for mailbox_id, plan in plans.items():
            self._send(mailbox_id, plan, allowed[mailbox_id], new_left < sum(wanted.values()))

    def _plan(self, mailbox: Mailbox, queue: list[_Group], start, end) -> dict:
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
        queue[:] = _merged(sorted((g for g in queue if g.count), key=_Group.key), plan.get("end"))
        self.day_used[(mailbox_id, plan.get("day"))] += used
        self.hour_used[(mailbox_id, plan.get("hour"))] += used
        if not queue:
            del self.queues[mailbox_id]

    def _tomorrow(self, group: _Group) -> datetime.datetime:
        tz = zoneinfo.ZoneInfo(self.campaign.timezone)
        date = group.due.astimezone(tz).date() + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(date, datetime.time(0), tzinfo=tz)
        later = next_send_time(self.campaign, midnight, lead=_zone_lead(self.campaign, group.zone))
        return later or group.due + datetime.timedelta(days=HORIZON_DAYS)

    def _sent(self, group: _Group, n: int, first: datetime.datetime, at: datetime.datetime):
        """`n` leads of `group` got their step from `first` to `at`: count them, and queue the
        next step (after the last of them, to be safe)."""
        forecast = self.forecast
        if group.initial and not group.in_flight:
            key = (group.mailbox_id, group.step)
            self.sent_so_far[key] += n
            forecast.timelines.setdefault(key, []).append((self.sent_so_far[key], at))
        if not group.in_flight:
            date = _local_date(self.campaign.timezone, at)
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
            lead=_zone_lead(self.campaign, group.zone),
        )
        if due is None:
            forecast.complete = False
            return
        self._add(_Group(due, next(self.seq), group.mailbox_id, following, group.zone, n))


def _merged(queue: list[_Group], due_by: datetime.datetime | None) -> list[_Group]:
    """The queue with neighbours that are alike and both due by `due_by` made one group: the
    dispatcher takes them one after the other anyway (a backlog of follow-ups waiting behind
    new leads would otherwise be one group per hour of sending). Groups read from the database
    stay apart: the People page reads their timelines."""
    if due_by is None:
        return queue
    merged: list[_Group] = []
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
