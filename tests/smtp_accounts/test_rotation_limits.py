"""Capacity against its definition: any sequence of requests, at any times, in any time zone.

A mailbox may send, at a moment, as many as the smallest of: what was asked, what is left of the
day's cap in its own time zone (the warm-up ramp's while that is lower), and what is left of the
clock hour's cap; with a minimum gap, one, and only once the gap since the last send is over.
`reserve_send_slots` must grant exactly that — never more (a cap broken), never less (capacity
silently lost) — whatever the clocks do in between (daylight-saving days, half-hour zones).
"""

import datetime
import itertools
import zoneinfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import reserve_send_slots
from tests.factories import make_mailbox

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
]
# Around the year's clock changes in those zones, and ordinary days.
STARTS = [
    datetime.datetime(2026, 3, 28, 20, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 4, 4, 10, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 9, 5, 1, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 10, 24, 22, 30, tzinfo=datetime.UTC),
    datetime.datetime(2026, 11, 23, 11, 59, tzinfo=datetime.UTC),
]
_serial = itertools.count()

limits = st.integers(1, 80).flatmap(
    lambda daily: st.fixed_dictionaries(
        {
            "timezone": st.sampled_from(ZONES),
            "daily_cap": st.just(daily),
            "hourly_cap": st.integers(1, min(daily, 40)),  # a constraint: within the day's
            "min_gap_seconds": st.sampled_from([0, 0, 30, 600]),
            "gap_jitter_seconds": st.sampled_from([0, 0, 45]),
            "warmup_enabled": st.booleans(),
            "warmup_start": st.integers(1, 20),
            "warmup_increment": st.integers(0, 10),
        }
    )
)
requests = st.lists(
    st.tuples(
        st.one_of(st.integers(0, 4000), st.integers(0, 2 * 86400)),  # seconds since the last
        st.integers(1, 30),  # sends wanted
    ),
    min_size=1,
    max_size=25,
)


def allowed_today(limits: dict, started: datetime.date, day: datetime.date) -> int:
    if not limits["warmup_enabled"]:
        return limits["daily_cap"]
    ramp = limits["warmup_start"] + max(0, (day - started).days) * limits["warmup_increment"]
    return min(ramp, limits["daily_cap"])


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(limits=limits, start=st.sampled_from(STARTS), requests=requests)
def test_a_mailbox_is_granted_exactly_what_its_limits_leave(workspace_a, limits, start, requests):
    tz = zoneinfo.ZoneInfo(limits["timezone"])
    with time_machine.travel(start, tick=False):
        mailbox = make_mailbox(workspace_a, email=f"m{next(_serial)}@acme.example", **limits)
    started = start.astimezone(tz).date()  # the warm-up ramp's day one: the day it connected
    by_day: dict[datetime.date, int] = {}
    by_hour: dict[datetime.datetime, int] = {}
    gap = bool(limits["min_gap_seconds"] or limits["gap_jitter_seconds"])
    now, free_from = start, None
    for advance, wanted in requests:
        now += datetime.timedelta(seconds=advance)
        day, hour = now.astimezone(tz).date(), now.replace(minute=0, second=0, microsecond=0)
        if free_from is not None and now < free_from:
            expected = 0
        else:
            expected = min(
                wanted,
                allowed_today(limits, started, day) - by_day.get(day, 0),
                limits["hourly_cap"] - by_hour.get(hour, 0),
                1 if gap else wanted,
            )
        with time_machine.travel(now, tick=False):
            granted = reserve_send_slots(mailbox_id=mailbox.pk, wanted=wanted)
        assert granted == max(0, expected), (now, day, by_day, by_hour)
        if granted:
            by_day[day] = by_day.get(day, 0) + granted
            by_hour[hour] = by_hour.get(hour, 0) + granted
            next_send_at = Mailbox.objects.get(pk=mailbox.pk).next_send_at
            if gap:
                low = now + datetime.timedelta(seconds=limits["min_gap_seconds"])
                high = low + datetime.timedelta(seconds=limits["gap_jitter_seconds"])
                assert low <= next_send_at <= high
                free_from = next_send_at
            else:
                assert next_send_at is None
