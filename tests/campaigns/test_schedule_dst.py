"""Sending windows across daylight-saving changes, checked against their definition.

A moment is inside a campaign's schedule when the campaign's wall clock at that moment shows a
sending day, a date from the start date on, and a time in [window start, window end). Around a
change of clocks the wall clock skips an hour (or half an hour) or shows one twice; the answer
must still be the first such moment at or after the one asked about, and jitter must not leave
the window.
"""

import datetime
import random
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign
from campaigns.schedule import in_window, next_send_time

UTC = datetime.UTC
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"]


def _changes(zone: str) -> list[datetime.datetime]:
    """The moments in 2026 at which the zone's clocks change, found by bisection."""
    tz = zoneinfo.ZoneInfo(zone)
    found, hour = [], datetime.timedelta(hours=1)
    t = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    while t.year == 2026:
        if t.astimezone(tz).utcoffset() != (t + hour).astimezone(tz).utcoffset():
            lo, hi = t, t + hour
            while hi - lo > datetime.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t += hour
    return found


CHANGES = {zone: _changes(zone) for zone in ZONES}


def sendable(campaign: Campaign, moment: datetime.datetime) -> bool:
    wall = moment.astimezone(zoneinfo.ZoneInfo(campaign.timezone))
    return (
        str(wall.weekday()) in campaign.send_days
        and (campaign.start_date is None or wall.date() >= campaign.start_date)
        and campaign.window_start <= wall.time() < campaign.window_end
    )


def moments(start: datetime.datetime, end: datetime.datetime):
    """Every minute of [start, end) for two days, every five minutes after (windows here are
    quarter hours, so no stretch inside one is missed)."""
    t, fine_until = start, start + datetime.timedelta(days=2)
    while t < end:
        yield t
        t += datetime.timedelta(minutes=1 if t < fine_until else 5)


@st.composite
def cases(draw):
    zone = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(CHANGES[zone]))
    after = change + datetime.timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    quarters = draw(st.lists(st.integers(0, 95), min_size=2, max_size=2, unique=True))
    start, end = sorted(quarters)
    days = draw(st.sets(st.sampled_from("0123456"), min_size=1))
    start_date = draw(st.none() | st.just((change + datetime.timedelta(days=1)).date()))
    campaign = Campaign(
        timezone=zone,
        send_days="".join(sorted(days)),
        window_start=datetime.time(start // 4, start % 4 * 15),
        window_end=datetime.time(end // 4, end % 4 * 15),
        start_date=start_date,
    )
    return campaign, after


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_first_moment_inside_the_window(case):
    campaign, after = case
    found = next_send_time(campaign, after)
    assert found is not None and found >= after
    assert sendable(campaign, found), found.astimezone(zoneinfo.ZoneInfo(campaign.timezone))
    assert in_window(campaign, found)
    assert not any(sendable(campaign, t) for t in moments(after, found))
    assert in_window(campaign, after) == (found == after)


@settings(max_examples=200, deadline=None)
@given(cases(), st.integers(1, 6 * 3600), st.integers(0, 2**32))
def test_jitter_stays_inside_the_window(case, jitter, seed):
    campaign, after = case
    first = next_send_time(campaign, after)
    jittered = next_send_time(campaign, after, jitter_seconds=jitter, rng=random.Random(seed))
    assert first <= jittered <= first + datetime.timedelta(seconds=jitter)
    assert all(sendable(campaign, t) for t in moments(first, jittered))
    assert sendable(campaign, jittered)
