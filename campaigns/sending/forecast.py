"""What a campaign will do if it runs from now on: when its first email goes out, how many new
leads a day its limits let through, and when the last lead gets its last step (the Review page's
forecast, and the People page's "next send").

`campaign_forecast` simulates the dispatcher hour by hour in `forecast_replay.py` (clock hours
in UTC, as the mailboxes' hourly caps count them) with the dispatcher's own rules, taken from
where they live: the schedule (`campaigns/schedule.py`: days, window, start date, time zones,
clock changes), each mailbox's daily cap with its warm-up, hourly cap and minimum gap
(`Mailbox`), the campaign's daily cap on new leads (a lead over it waits for the next local day,
as `dispatch._eligible` does), sticky mailboxes, work due oldest first, and each step's wait
after the previous send. It assumes nobody replies, bounces or unsubscribes and that the
mailboxes send for this campaign only, so it is the latest the sequence can end, given the
mailboxes keep working.

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
from campaigns.schedule import next_send_time, send_zone
from campaigns.sending.forecast_replay import (
    HORIZON_DAYS,
    ForecastDay,
    Group,
    Replay,
    local_date,
    zone_lead,
)
from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import weight

UTC = datetime.UTC
__all__ = ["Forecast", "ForecastDay", "campaign_forecast"]


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
        CampaignDay.objects.filter(campaign=campaign, day=local_date(campaign.timezone, now))
        .values_list("new_leads", flat=True)
        .first()
    )
    if groups:
        Replay(campaign, steps, mailboxes, now, forecast, new_today or 0, seq).run(groups)
    return forecast


def _draft_groups(campaign, now, mailboxes, seq) -> list[Group]:
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
        due = next_send_time(campaign, now, lead=zone_lead(campaign, zone))
        if due is None:
            continue
        shares = _split(n, [w / total for _m, w in weights]) if weights else []
        for (mailbox, _w), share in zip(weights, shares, strict=True):
            if share:
                groups.append(Group(due, next(seq), mailbox.pk, 1, zone, share, initial=True))
        if not weights:  # no mailbox can send: they all stall
            groups.append(Group(due, next(seq), 0, 1, zone, n, initial=True))
    return groups


def _split(n: int, shares: list[float]) -> list[int]:
    """`n` split in proportion to `shares` (largest remainders), summing to `n`."""
    exact = [n * s for s in shares]
    whole = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: whole[i] - exact[i])
    for i in order[: n - sum(whole)]:
        whole[i] += 1
    return whole


def _enrolled_groups(campaign, now, seq) -> list[Group]:
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
        groups.append(Group(when, next(seq), mailbox_id or 0, step, zone, n, True, due is None))
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
            forecast.warm_on = local_date(campaign.timezone, first + n * day) if n else None
            return
    forecast.capacity_warm = allowed(first + HORIZON_DAYS * day)  # e.g. a ramp of 0 a day
