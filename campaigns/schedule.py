"""When a campaign may send: its sending days and daily window, in its own time zone."""

from __future__ import annotations

import datetime
import random
import zoneinfo

from campaigns.models import Campaign

LOOKAHEAD_DAYS = 14


def next_send_time(
    campaign: Campaign,
    after: datetime.datetime,
    *,
    jitter_seconds: int = 0,
    rng: random.Random | None = None,
) -> datetime.datetime | None:
    """The first moment at or after `after` inside the schedule (plus up to `jitter_seconds`,
    never past that window's end), in UTC; None when the schedule has no sending day."""
    if not campaign.send_days:
        return None
    tz = zoneinfo.ZoneInfo(campaign.timezone)
    local = after.astimezone(tz)
    day = local.date()
    if campaign.start_date and campaign.start_date > day:
        day = campaign.start_date
    for offset in range(LOOKAHEAD_DAYS):
        date = day + datetime.timedelta(days=offset)
        if str(date.weekday()) not in campaign.send_days:
            continue
        start = datetime.datetime.combine(date, campaign.window_start, tzinfo=tz)
        end = datetime.datetime.combine(date, campaign.window_end, tzinfo=tz)
        candidate = max(start, local)
        if candidate >= end:
            continue
        room = (end - candidate).total_seconds() - 1
        if jitter_seconds and room > 0:
            candidate += datetime.timedelta(
                seconds=(rng or random).uniform(0, min(jitter_seconds, room))
            )
        return candidate.astimezone(datetime.UTC)
    return None


def in_window(campaign: Campaign, moment: datetime.datetime) -> bool:
    return next_send_time(campaign, moment) == moment.astimezone(datetime.UTC)
