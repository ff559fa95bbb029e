"""The campaign list shows each campaign's sent, opened, replied and bounced rates, read for the
whole page in one aggregate query."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import OutboundMessage
from campaigns.sending.launch import campaign_launch
from tests.factories import START, build, run_until, track

pytestmark = pytest.mark.django_db


def cells(page: str, name: str) -> dict[str, str]:
    row = re.search(rf'<tr data-campaign="{name}">(.*?)</tr>', page, re.S).group(1)
    found = re.findall(r"data-(sent|opened|replied|bounced)[^>]*>(.*?)</td>", row, re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", " ", value).split()) for key, value in found}


def sent_campaign(workspace, mailbox, name, n):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=1, prefix=name)
        campaign.name = name
        campaign.save()
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return campaign


def test_each_campaign_shows_its_rates(client, alice, workspace_a, mailbox, smtp_server):
    campaign = sent_campaign(workspace_a, mailbox, "Founders", 4)
    track(OutboundMessage.objects.filter(enrollment__campaign=campaign).first())
    build(workspace_a, mailbox, n=1, steps=1, prefix="draft")
    client.force_login(alice)
    page = client.get(reverse("campaign_list")).content.decode()
    assert cells(page, "Founders") == {
        "sent": "4 1 step",
        "opened": "25.0%",
        "replied": "0.0%",
        "bounced": "0.0%",
    }
    assert cells(page, "Pipeline")["sent"] == "0 1 step"  # the draft: nothing sent yet


def test_the_rates_cost_one_query_whatever_the_number_of_campaigns(
    client, alice, workspace_a, mailbox, smtp_server
):
    sent_campaign(workspace_a, mailbox, "First", 2)
    client.force_login(alice)
    client.get(reverse("campaign_list"))  # the session's first-visit reads
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("campaign_list"))
    sent_campaign(workspace_a, mailbox, "Second", 2)
    sent_campaign(workspace_a, mailbox, "Third", 2)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("campaign_list"))
    assert len(three.captured_queries) == len(one.captured_queries)
