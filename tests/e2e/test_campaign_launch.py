"""Launching a campaign from the review page and watching its report fill (Chromium)."""

import csv
import io

import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import dispatch_an_hour_later, owner_with_campaign, sign_in
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_launch_and_watch_the_report(live_server, page, smtp_server):
    mailbox, campaign = owner_with_campaign(smtp_server, n=5)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    page.click("[data-launch]")
    page.click("[data-confirm-yes]")  # the launch confirmation
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running"
    )
    expect(page.locator("[data-count=enrolled]")).to_have_text("5")
    expect(page.locator("[data-count=sent]")).to_have_text("0")

    # Beat's dispatcher runs (an hour later, when every lead is due); the worker sends.
    assert dispatch_an_hour_later() == 5
    page.reload()
    expect(page.locator("[data-count=sent]")).to_have_text("5")
    expect(page.locator("[data-by-mailbox]")).to_contain_text(mailbox.email)
    assert len(smtp_server.received) == 5
    shoot(page, "campaign-report")

    # Lead by lead: who got what, and what comes next.
    page.click("text=Everyone, lead by lead")
    expect(page.locator("[data-person]")).to_have_count(5)
    expect(page.locator("[data-person='lead0@x.example']")).to_contain_text("Step 1 of 2")
    expect(page.locator("[data-filter='active']")).to_contain_text("5")
    page.fill("input[name=q]", "lead3")
    expect(page.locator("[data-person]")).to_have_count(1)
    shoot(page, "campaign-people")
    with page.expect_download() as downloading:  # the download follows the search
        page.click("[data-people-export]")
    written = downloading.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(written)))
    assert [(row["email"], row["last_step"], row["last_state"]) for row in rows] == [
        ("lead3@x.example", "1", "sent")
    ]
    page.goto(f"{base}/campaigns/{campaign.pk}/report/")

    page.click("text=Pause")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "paused"
    )
