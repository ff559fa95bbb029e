"""Launching from the pages, and the report: right numbers, a fixed number of queries."""

import datetime
from fractions import Fraction
from math import comb

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.inbox.receive import receive
from campaigns.models import Campaign, OutboundMessage
from campaigns.reports.numbers import campaign_report
from campaigns.tracking.flush import tracking_flush
from tests.campaigns.inbound_mail import gmail_reply
from tests.campaigns.pipeline import START, build, run_until, track

pytestmark = pytest.mark.django_db


def test_launch_pause_resume_stop_from_the_pages(client, alice, workspace_a, mailbox, smtp_server):
    client.force_login(alice)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=2)
        review = client.get(reverse("campaign_review", args=[campaign.pk])).content.decode()
        assert "Launch to 3 leads" in review
        control = reverse("campaign_control", args=[campaign.pk])
        client.post(control, {"action": "launch"})
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.RUNNING
        client.post(control, {"action": "pause"})
    assert run_until(START + datetime.timedelta(hours=2)) == 0
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        client.post(control, {"action": "resume"})
    assert run_until(START + datetime.timedelta(hours=2, minutes=1)) == 3
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        client.post(control, {"action": "stop"})
    assert run_until(START + datetime.timedelta(days=3)) == 0
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED


def report_queries(campaign) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        report = campaign_report(campaign)
    return report, len(captured.captured_queries)


def test_the_report_counts_people_and_its_queries_do_not_grow(
    client, alice, workspace_a, mailbox, smtp_server
):
    with time_machine.travel(START, tick=False):
        small = build(workspace_a, mailbox, n=2, steps=1)
        client.force_login(alice)
        client.post(reverse("campaign_control", args=[small.pk]), {"action": "launch"})
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    first = OutboundMessage.objects.order_by("pk").first()
    track(first)
    track(first)  # the same person twice
    track(first, user_agent="Mozilla/5.0 (via ggpht.com GoogleImageProxy)")
    track(first, "c")
    report, small_queries = report_queries(small)
    totals = report["totals"]
    assert (totals["enrolled"], totals["sent"], totals["opened"], totals["clicked"]) == (2, 2, 1, 1)
    assert totals["opened_rate"] == 50.0

    page = client.get(reverse("campaign_report", args=[small.pk])).content.decode()
    assert '<dd data-count="sent">2</dd>' in page and '<dd data-count="opened">1</dd>' in page

    Campaign.objects.filter(pk=small.pk).update(status="completed")
    with time_machine.travel(START, tick=False):
        big = build(workspace_a, mailbox, n=40, steps=1, prefix="big")
        client.post(reverse("campaign_control", args=[big.pk]), {"action": "launch"})
    run_until(START + datetime.timedelta(hours=1, minutes=1))  # 20 a mailbox a tick
    run_until(START + datetime.timedelta(hours=1, minutes=2))
    for message in OutboundMessage.objects.filter(enrollment__campaign=big):
        track(message, flush=False)
    tracking_flush()
    report, big_queries = report_queries(big)
    assert report["totals"]["sent"] == 40 and report["totals"]["opened"] == 40
    assert big_queries == small_queries


def test_ab_winner_needs_a_sample_and_significance():
    from campaigns.reports.numbers import ab_verdicts

    def row(label, sent, replied=0, clicked=0, opened=0):
        return {
            "step__position": 1,
            "variant__label": label,
            "sent": sent,
            "replied": replied,
            "clicked": clicked,
            "opened": opened,
        }

    [early] = ab_verdicts([row("A", 40, 10), row("B", 38, 1)])
    assert early.winner is None and "needs 100 sends (A: 40, B: 38)" in early.message
    [clear] = ab_verdicts([row("A", 400, 8), row("B", 410, 30)])
    assert clear.winner == "B" and clear.metric == "replied"
    assert clear.message.startswith("B wins on reply rate: 7.3% vs 2.0% for A (p = 0.000")
    [by_click] = ab_verdicts([row("A", 300, 3, 40), row("B", 300, 3, 12)])
    assert (by_click.winner, by_click.metric) == ("A", "clicked")
    [tie] = ab_verdicts([row("A", 200, 5, 5, 50), row("B", 200, 6, 5, 52)])
    assert tie.winner is None and "No significant difference" in tie.message
    # Replies are few: 5 of 100 against none of 100 is not evidence yet (p = 0.059 exactly; the
    # normal approximation of a z-test would have said 0.024 and declared a winner).
    [few] = ab_verdicts([row("A", 100, 5), row("B", 100, 0)])
    assert few.winner is None


def test_fisher_exact_p_value():
    from campaigns.reports.numbers import fisher_p_value

    # scipy.stats.fisher_exact([[1, 9], [11, 3]]) (its documentation's example)
    assert abs(fisher_p_value(1, 10, 11, 14) - 0.0027594561852200836) < 1e-12
    assert abs(fisher_p_value(5, 100, 0, 100) - 2 * comb(100, 5) / comb(200, 5)) < 1e-12
    assert abs(fisher_p_value(7, 100, 7, 100) - 1.0) < 1e-12  # the likeliest split there is
    assert fisher_p_value(0, 0, 3, 10) == 1.0


@settings(max_examples=300)
@given(st.integers(0, 60), st.integers(0, 60), st.data())
def test_fisher_p_value_is_the_exact_sum(n1, n2, data):
    """Against the definition in exact fractions: the probability, totals fixed, of every split
    at most as likely as the one seen."""
    from campaigns.reports.numbers import fisher_p_value

    x1, x2 = data.draw(st.integers(0, n1)), data.draw(st.integers(0, n2))
    total = x1 + x2

    def chance(x):
        return Fraction(comb(n1, x) * comb(n2, total - x), comb(n1 + n2, total))

    seen = chance(x1)
    exact = sum(
        chance(x) for x in range(max(0, total - n2), min(total, n1) + 1) if chance(x) <= seen
    )
    expected = float(exact) if n1 and n2 else 1.0
    assert abs(fisher_p_value(x1, n1, x2, n2) - expected) < 1e-9
    assert abs(fisher_p_value(x1, n1, x2, n2) - fisher_p_value(x2, n2, x1, n1)) < 1e-12


def test_the_report_draws_the_last_fourteen_days(client, alice, workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        client.force_login(alice)
        client.post(reverse("campaign_control", args=[campaign.pk]), {"action": "launch"})
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        page = client.get(reverse("campaign_report", args=[campaign.pk])).content.decode()
        chart = campaign_report(campaign)["chart"]
    assert chart["series"]["sent"][-1] == 3 and sum(chart["series"]["sent"]) == 3
    assert '<polyline class="line line-sent"' in page
    assert "No winner yet" in page  # two variants, three sends


def test_home_shows_today_and_mailbox_health(client, alice, workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        client.force_login(alice)
        client.post(reverse("campaign_control", args=[campaign.pk]), {"action": "launch"})
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    replied_to = OutboundMessage.objects.first()
    receive(mailbox, gmail_reply(replied_to), START + datetime.timedelta(hours=1, minutes=30))
    with time_machine.travel(START + datetime.timedelta(hours=2), tick=False):
        home = client.get(reverse("dashboard")).content.decode()
    assert '<dd data-count="sent">2</dd>' in home
    assert '<dd data-count="replied">1</dd>' in home
    assert "1 Active" in home


def test_leads_added_to_a_running_campaign_are_enrolled(
    client, alice, workspace_a, mailbox, smtp_server
):
    from campaigns.models import Enrollment, Lead, LeadMembership

    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        client.force_login(alice)
        control = reverse("campaign_control", args=[campaign.pk])
        client.post(control, {"action": "launch"})
        late = Lead.objects.create(workspace=workspace_a, email="late@x.example")
        LeadMembership.objects.create(lead=late, lead_list=campaign.lead_lists.get())
        page = client.post(control, {"action": "enroll"}, follow=True).content.decode()
        assert "1 new leads enrolled." in page
        client.post(control, {"action": "enroll"})  # again: nobody twice
    assert Enrollment.objects.filter(campaign=campaign).count() == 3
