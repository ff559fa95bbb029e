"""The launch review's forecast: when the first email goes out, how many new leads a day the
limits let through, and when the last lead gets its last step (campaigns/sending/forecast.py)."""

import datetime
import zoneinfo

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.models import Campaign, CampaignDay, Enrollment, Lead
from campaigns.schedule import in_window
from campaigns.sending.forecast import campaign_forecast
from campaigns.sending.launch import campaign_launch
from smtp_accounts.models import Mailbox
from tests.factories import build, make_mailbox

UTC = datetime.UTC
MONDAY = datetime.datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 06:00 UTC, before the window
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def at(*args, tz=UTC):
    return datetime.datetime(*args, tzinfo=tz)


def mailbox_for(workspace, email="sender@acme.example", **limits):
    """A mailbox limited only by what the test names (no warm-up, no gap)."""
    values = {
        "daily_cap": 1000,
        "hourly_cap": 1000,
        "min_gap_seconds": 0,
        "gap_jitter_seconds": 0,
        "warmup_enabled": False,
    }
    values["hourly_cap"] = min(1000, limits.get("daily_cap", 1000))
    mailbox = make_mailbox(workspace, email=email, smtp_username=email, **(values | limits))
    if "warmup_started_on" in limits:  # save() sets it to today when warm-up is on
        Mailbox.objects.filter(pk=mailbox.pk).update(warmup_started_on=limits["warmup_started_on"])
        mailbox.refresh_from_db()
    return mailbox


def campaign_of(workspace, mailbox, n, *, steps=1, **fields):
    values = {"daily_cap": 10_000, "window_start": datetime.time(9)}
    values["window_end"] = datetime.time(17)
    return build(workspace, mailbox, n, steps=steps, **(values | fields))


def new_per_day(forecast):
    return [day.new_leads for day in forecast.days]


def test_nothing_sends_before_the_window_opens(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 10)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert forecast.first_send == at(2026, 12, 7, 9)
    assert forecast.leads == 10


def test_inside_the_window_the_first_email_goes_now(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 10)
    now = at(2026, 12, 7, 11, 20)
    assert campaign_forecast(campaign=campaign, now=now).first_send == now


def test_the_first_send_is_read_in_the_campaigns_time_zone_on_its_sending_days(workspace_a):
    campaign = campaign_of(
        workspace_a, mailbox_for(workspace_a), 5, timezone="Europe/Paris", send_days="0"
    )
    friday = at(2026, 12, 11, 15)
    forecast = campaign_forecast(campaign=campaign, now=friday)
    assert forecast.local(forecast.first_send) == at(2026, 12, 14, 9, tz=PARIS)
    assert forecast.first_send == at(2026, 12, 14, 8)  # Monday 09:00 in Paris is 08:00 UTC


def test_the_campaigns_daily_cap_limits_new_leads(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 50, daily_cap=20)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert new_per_day(forecast) == [20, 20, 10]
    assert forecast.last_send.date() == datetime.date(2026, 12, 9)
    assert forecast.capacity_now == 20


def test_warm_up_ramps_the_mailboxs_day_by_day(workspace_a):
    mailbox = mailbox_for(
        workspace_a,
        daily_cap=200,
        warmup_enabled=True,
        warmup_start=10,
        warmup_increment=5,
        warmup_started_on=datetime.date(2026, 12, 7),
    )
    campaign = campaign_of(workspace_a, mailbox, 60)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert new_per_day(forecast) == [10, 15, 20, 15]
    assert (forecast.capacity_now, forecast.capacity_warm) == (10, 200)
    assert forecast.warm_on == datetime.date(2026, 12, 7) + datetime.timedelta(days=38)


def test_the_hourly_cap_limits_a_short_window(workspace_a):
    mailbox = mailbox_for(workspace_a, hourly_cap=5)
    campaign = campaign_of(workspace_a, mailbox, 40, window_end=datetime.time(12))
    assert new_per_day(campaign_forecast(campaign=campaign, now=MONDAY)) == [15, 15, 10]


def test_the_minimum_gap_spaces_sends(workspace_a):
    # A 10-minute gap (plus half a dispatcher tick): at most 6 sends an hour, 6 in 09:00-10:00.
    mailbox = mailbox_for(workspace_a, min_gap_seconds=600)
    campaign = campaign_of(workspace_a, mailbox, 20, window_end=datetime.time(10))
    assert new_per_day(campaign_forecast(campaign=campaign, now=MONDAY)) == [6, 6, 6, 2]


def test_several_mailboxes_add_up_and_share_the_leads_by_capacity(workspace_a):
    small = mailbox_for(workspace_a, "a@acme.example", daily_cap=10, hourly_cap=10)
    large = mailbox_for(workspace_a, "b@acme.example", daily_cap=30, hourly_cap=30)
    campaign = campaign_of(workspace_a, small, 80)
    campaign.mailboxes.add(large)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert forecast.capacity_now == 40
    assert new_per_day(forecast) == [40, 40]


def test_follow_ups_wait_their_delay_and_skip_days_off(workspace_a):
    mailbox = mailbox_for(workspace_a)
    campaign = campaign_of(workspace_a, mailbox, 10, steps=2, send_days="01234")
    campaign.steps.filter(position=2).update(delay_days=3)
    friday = at(2026, 12, 11, 6)
    forecast = campaign_forecast(campaign=campaign, now=friday)
    assert forecast.first_send == at(2026, 12, 11, 9)
    # Friday + 3 days is Monday; the window is 09:00-17:00 UTC
    assert forecast.last_send.date() == datetime.date(2026, 12, 14)
    assert [(d.date.day, d.new_leads, d.follow_ups) for d in forecast.days] == [
        (11, 10, 0),
        (14, 0, 10),
    ]


def test_a_full_cap_today_moves_the_first_send_to_tomorrow(workspace_a):
    mailbox = mailbox_for(workspace_a, daily_cap=10, hourly_cap=10)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        sent_today=10, sent_today_date=datetime.date(2026, 12, 7)
    )
    mailbox.refresh_from_db()
    campaign = campaign_of(workspace_a, mailbox, 5)
    forecast = campaign_forecast(campaign=campaign, now=at(2026, 12, 7, 12))
    assert forecast.first_send == at(2026, 12, 8, 9)


def test_new_leads_already_sent_today_count_against_the_campaigns_cap(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 30, daily_cap=20)
    CampaignDay.objects.create(campaign=campaign, day=datetime.date(2026, 12, 7), new_leads=15)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert new_per_day(forecast) == [5, 20, 5]


@pytest.mark.parametrize(
    ("now", "first_send"),
    [
        # Saturday evening before the spring change: Sunday 09:00 CEST is 07:00 UTC
        (at(2026, 3, 28, 20), at(2026, 3, 29, 7)),
        # Saturday evening before the autumn change: Sunday 09:00 CET is 08:00 UTC
        (at(2026, 10, 24, 20), at(2026, 10, 25, 8)),
    ],
)
def test_a_change_of_clocks_in_paris_moves_the_window_in_utc(workspace_a, now, first_send):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 5, timezone="Europe/Paris")
    forecast = campaign_forecast(campaign=campaign, now=now)
    assert forecast.first_send == first_send
    assert forecast.local(forecast.first_send).time() == datetime.time(9)


def test_a_follow_up_across_a_change_of_clocks_keeps_its_wall_clock_time(workspace_a):
    campaign = campaign_of(
        workspace_a, mailbox_for(workspace_a), 1, steps=2, timezone="Europe/Paris"
    )
    campaign.steps.filter(position=2).update(delay_days=2)
    forecast = campaign_forecast(campaign=campaign, now=at(2026, 10, 23, 6))  # Friday
    assert forecast.first_send == at(2026, 10, 23, 7)  # 09:00 CEST
    assert forecast.last_send == at(2026, 10, 25, 8)  # Sunday 09:00 CET


def test_leads_in_their_own_time_zones_are_sent_in_their_windows(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 2, lead_time_zones=True)
    Lead.objects.filter(email="lead0@x.example").update(timezone="America/New_York")
    Lead.objects.filter(email="lead1@x.example").update(timezone="Asia/Tokyo")
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    # 06:00 UTC is 15:00 in Tokyo (inside its window: now); New York opens at 14:00 UTC.
    assert forecast.first_send == MONDAY
    assert forecast.last_send == at(2026, 12, 7, 14)


def test_a_running_campaign_forecasts_what_is_left(workspace_a):
    mailbox = mailbox_for(workspace_a)
    campaign = campaign_of(workspace_a, mailbox, 10, steps=2)
    campaign.steps.filter(position=2).update(delay_days=2)
    with time_machine.travel(MONDAY, tick=False):
        campaign_launch(campaign=campaign)
    campaign.refresh_from_db()
    enrollments = Enrollment.objects.filter(campaign=campaign).order_by("pk")
    done, second = enrollments[:4], enrollments[4:7]  # the last 3 still wait for step 1
    Enrollment.objects.filter(pk__in=[e.pk for e in done]).update(
        status=Enrollment.Status.COMPLETED, next_due_at=None
    )
    Enrollment.objects.filter(pk__in=[e.pk for e in second]).update(
        next_step=2, next_due_at=at(2026, 12, 10, 9)
    )
    now = at(2026, 12, 8, 18)
    forecast = campaign_forecast(campaign=campaign, now=now)
    assert forecast.leads == 6
    assert [(d.date.day, d.new_leads, d.follow_ups) for d in forecast.days] == [
        (9, 3, 0),
        (10, 0, 3),
        (11, 0, 3),
    ]
    assert forecast.first_send == at(2026, 12, 9, 9)
    assert forecast.last_send.date() == datetime.date(2026, 12, 11)


def test_leads_of_a_paused_mailbox_are_counted_as_stalled(workspace_a):
    mailbox = mailbox_for(workspace_a)
    campaign = campaign_of(workspace_a, mailbox, 4)
    with time_machine.travel(MONDAY, tick=False):
        campaign_launch(campaign=campaign)
    Mailbox.objects.filter(pk=mailbox.pk).update(status=Mailbox.Status.PAUSED_BY_USER)
    forecast = campaign_forecast(campaign=Campaign.objects.get(pk=campaign.pk), now=MONDAY)
    assert (forecast.stalled, forecast.first_send, forecast.days) == (4, None, [])


def test_a_finished_campaign_has_nothing_to_forecast(workspace_a):
    campaign = campaign_of(workspace_a, mailbox_for(workspace_a), 3)
    campaign.status = Campaign.Status.COMPLETED
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert (forecast.leads, forecast.first_send, forecast.last_send) == (0, None, None)


def test_the_forecast_costs_the_same_queries_for_ten_or_a_thousand_leads(
    workspace_a, django_assert_max_num_queries
):
    mailbox = mailbox_for(workspace_a, daily_cap=100)
    small = campaign_of(workspace_a, mailbox, 10, steps=3, prefix="s")
    large = campaign_of(workspace_a, mailbox, 1000, steps=3, prefix="l")
    for campaign in (small, large):
        with time_machine.travel(MONDAY, tick=False):
            campaign_launch(campaign=campaign)
        campaign.refresh_from_db()
        with django_assert_max_num_queries(4):
            forecast = campaign_forecast(campaign=campaign, now=MONDAY)
        assert forecast.complete


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata"]),
    days=st.sets(st.sampled_from("0123456"), min_size=1).map(lambda s: "".join(sorted(s))),
    start=st.integers(0, 22),
    length=st.integers(1, 10),
    now=st.datetimes(
        min_value=datetime.datetime(2026, 1, 1), max_value=datetime.datetime(2027, 12, 31)
    ),
)
def test_the_first_send_is_never_before_now_nor_outside_the_window(
    workspace_a, zone, days, start, length, now
):
    campaign = Campaign.objects.filter(workspace=workspace_a).first() or campaign_of(
        workspace_a, mailbox_for(workspace_a, daily_cap=3, hourly_cap=2), 5
    )
    campaign.timezone, campaign.send_days = zone, days
    campaign.window_start = datetime.time(start)
    campaign.window_end = datetime.time(min(23, start + length), 59 if start + length > 23 else 0)
    now = now.replace(tzinfo=UTC)
    forecast = campaign_forecast(campaign=campaign, now=now)
    assert forecast.first_send is not None
    assert forecast.first_send >= now
    assert in_window(campaign, forecast.first_send)
    assert sum(d.new_leads for d in forecast.days) == 5


def test_follow_ups_wait_behind_new_leads_due_earlier_when_the_mailbox_is_full(workspace_a):
    # The dispatcher takes the oldest due first: every lead was due at launch, so a full
    # mailbox sends all first steps before any follow-up (merged as they pile up).
    mailbox = mailbox_for(workspace_a, daily_cap=10)
    campaign = campaign_of(workspace_a, mailbox, 30, steps=2)
    forecast = campaign_forecast(campaign=campaign, now=MONDAY)
    assert [(d.new_leads, d.follow_ups) for d in forecast.days] == [(10, 0)] * 3 + [(0, 10)] * 3
    assert forecast.last_send.date() == datetime.date(2026, 12, 12)
