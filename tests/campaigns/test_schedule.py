"""Sending windows: days, hours, start date and time zones."""

import datetime
import random

import pytest

from campaigns.models import Campaign, Lead
from campaigns.schedule import in_window, next_send_time, send_zone

UTC = datetime.UTC


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def campaign(**kwargs):
    values = {
        "timezone": "UTC",
        "send_days": "01234",
        "window_start": datetime.time(9),
        "window_end": datetime.time(17),
    }
    return Campaign(**(values | kwargs))


# 2026-11-24 is a Tuesday.
@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (at(2026, 11, 24, 10, 30), at(2026, 11, 24, 10, 30)),  # inside: now
        (at(2026, 11, 24, 6, 0), at(2026, 11, 24, 9, 0)),  # before: today's start
        (at(2026, 11, 24, 17, 0), at(2026, 11, 25, 9, 0)),  # the end is exclusive
        (at(2026, 11, 27, 18, 0), at(2026, 11, 30, 9, 0)),  # Friday evening: Monday
        (at(2026, 11, 28, 12, 0), at(2026, 11, 30, 9, 0)),  # Saturday: Monday
    ],
)
def test_next_send_time(after, expected):
    assert next_send_time(campaign(), after) == expected


def test_the_start_date_and_time_zone_count():
    berlin = campaign(timezone="Europe/Berlin", start_date=datetime.date(2026, 12, 1))
    assert next_send_time(berlin, at(2026, 11, 24, 10)) == at(2026, 12, 1, 8, 0)
    new_york = campaign(timezone="America/New_York")
    assert next_send_time(new_york, at(2026, 11, 24, 13, 0)) == at(2026, 11, 24, 14, 0)
    assert not in_window(new_york, at(2026, 11, 24, 13, 0))
    assert in_window(new_york, at(2026, 11, 24, 14, 0))


def test_jitter_stays_inside_the_window():
    c = campaign(window_end=datetime.time(9, 10))
    rng = random.Random(7)
    times = {
        next_send_time(c, at(2026, 11, 24, 9), jitter_seconds=3600, rng=rng) for _ in range(200)
    }
    assert all(at(2026, 11, 24, 9) <= t < at(2026, 11, 24, 9, 10) for t in times)
    assert len(times) > 100


def test_no_sending_day_means_never():
    assert next_send_time(campaign(send_days=""), at(2026, 11, 24, 10)) is None


def test_a_lead_is_written_to_in_its_own_time_zone_when_the_campaign_says_so():
    tokyo, unknown = Lead(timezone="Asia/Tokyo"), Lead(timezone="")
    gone = Lead(timezone="Mars/Olympus_Mons")  # a zone the database no longer knows
    berlin = campaign(timezone="Europe/Berlin", lead_time_zones=True)
    tuesday = at(2026, 11, 24, 10)  # 11:00 in Berlin, 19:00 in Tokyo
    assert next_send_time(berlin, tuesday, lead=tokyo) == at(2026, 11, 25, 0)  # 9:00 in Tokyo
    assert not in_window(berlin, tuesday, lead=tokyo)
    assert in_window(berlin, at(2026, 11, 25, 0), lead=tokyo)
    for lead in (unknown, gone, None):  # no zone known: the campaign's
        assert send_zone(berlin, lead) == "Europe/Berlin"
        assert next_send_time(berlin, tuesday, lead=lead) == tuesday
    # The sending days are the lead's too: Friday 23:00 UTC is Saturday morning in Tokyo.
    assert next_send_time(berlin, at(2026, 11, 27, 23), lead=tokyo) == at(2026, 11, 30, 0)
    off = campaign(timezone="Europe/Berlin")
    assert send_zone(off, tokyo) == "Europe/Berlin"
    assert next_send_time(off, tuesday, lead=tokyo) == tuesday
