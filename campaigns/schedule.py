"""When a campaign may send: its sending days and daily window, in its own time zone or, when
the campaign says so, in each lead's (`send_zone`: the lead's zone when it is known, else the
campaign's).

A moment is inside the schedule when the wall clock of that zone then shows a sending day, a
date from the start date on and a time in [window start, window end). Where clocks change, the wall
clock skips a stretch or shows it twice; so the arithmetic is done on real time (UTC), and the
window of a day with a change is cut at the change (tests/campaigns/test_schedule_dst.py checks
the answers against that definition minute by minute).
"""

from __future__ import annotations

import datetime
import functools
import random
import zoneinfo

from campaigns.models import Campaign, Lead

LOOKAHEAD_DAYS = 14
UTC = datetime.UTC


def send_zone(campaign: Campaign, lead: Lead | None = None) -> str:
    """The time zone a lead's mail is timed in."""
    if lead is not None and campaign.lead_time_zones and _known_zone(lead.timezone):
        return lead.timezone
    return campaign.timezone


@functools.lru_cache(maxsize=1024)
def _known_zone(name: str) -> bool:
    # Zones are checked when a lead is saved or imported; one the system's zone database has
    # since dropped falls back to the campaign's rather than failing the dispatcher.
    try:
        return bool(name) and zoneinfo.ZoneInfo(name) is not None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


def next_send_time(
    campaign: Campaign,
    after: datetime.datetime,
    *,
    lead: Lead | None = None,
    jitter_seconds: int = 0,
    rng: random.Random | None = None,
) -> datetime.datetime | None:
    """The first moment at or after `after` inside the schedule of `lead` (plus up to
    `jitter_seconds`, never past the end of that stretch of the window), in UTC; None when the
    schedule has no sending day."""
    stretch = send_stretch(campaign, after, lead=lead)
    if stretch is None:
        return None
    start, end = stretch
    room = (end - start).total_seconds() - 1
    if jitter_seconds and room > 0:
        spread = (rng or random).uniform(0, min(jitter_seconds, room))
        start += datetime.timedelta(seconds=spread)
    return start


def send_stretch(
    campaign: Campaign, after: datetime.datetime, *, lead: Lead | None = None
) -> tuple[datetime.datetime, datetime.datetime] | None:
    """(the first moment at or after `after` inside the schedule of `lead`, the end of that
    stretch of the window), in UTC; None when the schedule has no sending day."""
    if not campaign.send_days:
        return None
    tz = zoneinfo.ZoneInfo(send_zone(campaign, lead))
    after = after.astimezone(UTC)
    day = after.astimezone(tz).date()
    if campaign.start_date and campaign.start_date > day:
        day = campaign.start_date
    for offset in range(LOOKAHEAD_DAYS):
        date = day + datetime.timedelta(days=offset)
        if str(date.weekday()) not in campaign.send_days:
            continue
        stretch = _first_stretch(campaign, tz, date, after)
        if stretch is not None:
            return stretch
    return None


def in_window(campaign: Campaign, moment: datetime.datetime, lead: Lead | None = None) -> bool:
    return next_send_time(campaign, moment, lead=lead) == moment.astimezone(UTC)


def _first_stretch(campaign: Campaign, tz, date: datetime.date, after: datetime.datetime):
    """(first moment ≥ after inside the window on `date`, the end of that stretch), or None.

    Whether a moment is inside changes only where the wall clock passes the window's start or
    end, or jumps at a change of clocks: those moments (`edges`) are checked in order."""
    change = _clock_change(tz, date)
    window = (campaign.window_start, campaign.window_end)
    if change is None:  # the usual day: one stretch, and wall time is real time
        start, end = (_at(date, t, tz) for t in window)
        start = max(start, after)
        return (start, end) if start < end else None
    # Either occurrence of a time shown twice; either side of one skipped.
    edges = sorted({change, *(_at(date, t, tz, fold) for t in window for fold in (0, 1))})
    for start in [after, *(edge for edge in edges if edge > after)]:
        if _inside(campaign, tz, start):
            ends = (edge for edge in edges if edge > start and not _inside(campaign, tz, edge))
            return start, next(ends, start)  # (an end is always among the edges; else no jitter)
    return None


def _at(date, time, tz, fold=0) -> datetime.datetime:
    return datetime.datetime.combine(date, time, tzinfo=tz).replace(fold=fold).astimezone(UTC)


def _inside(campaign: Campaign, tz, moment: datetime.datetime) -> bool:
    wall = moment.astimezone(tz)
    return (
        str(wall.weekday()) in campaign.send_days
        and (campaign.start_date is None or wall.date() >= campaign.start_date)
        and campaign.window_start <= wall.time() < campaign.window_end
    )


@functools.lru_cache(maxsize=4096)  # a launch asks about the same few days for every lead
def _clock_change(tz, date: datetime.date) -> datetime.datetime | None:
    """The moment the zone's clocks change during `date` (to the second), if they do."""
    first = _at(date, datetime.time(0), tz, fold=0) - datetime.timedelta(hours=3)
    last = _at(date + datetime.timedelta(days=1), datetime.time(0), tz, fold=1)
    before = first.astimezone(tz).utcoffset()
    if last.astimezone(tz).utcoffset() == before:
        return None
    low, high = int(first.timestamp()), int(last.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        moment = datetime.datetime.fromtimestamp(middle, UTC)
        if moment.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.datetime.fromtimestamp(high, UTC)
