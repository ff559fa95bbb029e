"""The People page's "next send" is when a lead really gets its next step under the mailbox's
caps and the schedule, not just when it falls due."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.sending.launch import campaign_launch
from tests.factories import build, make_mailbox

pytestmark = pytest.mark.django_db
MONDAY = datetime.datetime(2026, 12, 7, 6, tzinfo=datetime.UTC)


def next_sends(page: str) -> dict[str, str]:
    rows = re.findall(r'data-person="([^"]+)".*?data-next-send>(.*?)</td>', page, re.S)
    return {email: re.sub(r"<[^>]+>", "", cell).strip() for email, cell in rows}


def capped_campaign(workspace, n, *, daily_cap=10):
    email = f"sender{n}@acme.example"
    mailbox = make_mailbox(
        workspace,
        email=email,
        smtp_username=email,
        daily_cap=daily_cap,
        hourly_cap=daily_cap,
        min_gap_seconds=0,
        gap_jitter_seconds=0,
        warmup_enabled=False,
    )
    campaign = build(workspace, mailbox, n, steps=1, daily_cap=1000, prefix=f"c{n}-")
    with time_machine.travel(MONDAY, tick=False):
        campaign_launch(campaign=campaign)
    return Campaign.objects.get(pk=campaign.pk)


def test_leads_beyond_the_mailboxs_daily_cap_go_on_the_following_days(client, alice, workspace_a):
    campaign = capped_campaign(workspace_a, 25)
    client.force_login(alice)
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(reverse("campaign_people", args=[campaign.pk])).content.decode()
    # Launch spread the leads' due times over the first hour: the earliest due go first.
    days = sorted(when.split(",")[0] for when in next_sends(page).values())
    assert days == ["December 7"] * 10 + ["December 8"] * 10 + ["December 9"] * 5
    due = dict(campaign.enrollments.values_list("lead__email", "next_due_at"))
    order = sorted(next_sends(page), key=due.get)
    assert [next_sends(page)[email].split(",")[0] for email in order] == days


def test_the_next_sends_cost_the_same_queries_for_a_larger_campaign(client, alice, workspace_a):
    small, large = capped_campaign(workspace_a, 3), capped_campaign(workspace_a, 40)
    client.force_login(alice)
    with time_machine.travel(MONDAY, tick=False):  # the session's first-visit reads
        client.get(reverse("campaign_people", args=[small.pk]))
    counted = []
    for campaign in (small, large):
        with time_machine.travel(MONDAY, tick=False), CaptureQueriesContext(connection) as seen:
            client.get(reverse("campaign_people", args=[campaign.pk]))
        counted.append(len(seen.captured_queries))
    assert counted[0] == counted[1]
