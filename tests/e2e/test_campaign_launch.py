"""Launching a campaign from the review page and watching its report fill (Chromium)."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.dispatch import dispatch_tick
from tests.campaigns.pipeline import build
from tests.conftest import make_user
from tests.e2e.test_lead_import import shoot
from tests.e2e.test_mailbox_connect import sign_in
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_launch_and_watch_the_report(live_server, page, smtp_server):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    mailbox = sink_mailbox(workspace, smtp_server)
    campaign = build(
        workspace,
        mailbox,
        n=5,
        steps=2,
        window_start=datetime.time(0, 0),
        window_end=datetime.time(23, 59),
    )
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    page.click("[data-launch]")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running"
    )
    expect(page.locator("[data-count=enrolled]")).to_have_text("5")
    expect(page.locator("[data-count=sent]")).to_have_text("0")

    # Beat's dispatcher runs (an hour later, when every lead is due); the worker sends.
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1, minutes=1)
    ):
        assert dispatch_tick() == 5
    page.reload()
    expect(page.locator("[data-count=sent]")).to_have_text("5")
    expect(page.locator("[data-by-mailbox]")).to_contain_text(mailbox.email)
    assert len(smtp_server.received) == 5
    shoot(page, "campaign-report")

    page.click("text=Pause")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "paused"
    )
