"""Launching from the pages, and the report: right numbers, a fixed number of queries."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign, Event, OutboundMessage
from campaigns.reports import campaign_report
from tests.campaigns.pipeline import START, build, run_until

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
    Event.objects.create(message=first, kind="open")
    Event.objects.create(message=first, kind="open")  # the same person twice
    Event.objects.create(message=first, kind="open", machine=True)
    Event.objects.create(message=first, kind="click")
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
        Event.objects.create(message=message, kind="open")
    report, big_queries = report_queries(big)
    assert report["totals"]["sent"] == 40 and report["totals"]["opened"] == 40
    assert big_queries == small_queries
