"""The Review page's forecast and warnings, and the campaign list's rates, as a user sees them
in Chromium, on a desktop and on a phone (where the navigation keeps its labels)."""

from pathlib import Path

import pytest

from campaigns.sending.launch import campaign_launch
from tests.e2e.accounts import dispatch_an_hour_later, owner_with_campaign, sign_in
from tests.e2e.browser import SCREENSHOTS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1360, "height": 860}
PHONE = {"width": 420, "height": 860}
NAV = ("Home", "Campaigns", "Leads", "Mailboxes", "Inbox", "Reports", "Billing")


def shoot_full(page, name):
    """With POSTIGO_SCREENSHOTS set, the whole page in the light and the dark theme."""
    if SCREENSHOTS:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(300)
            page.screenshot(path=Path(SCREENSHOTS) / f"{name}-{scheme}.png", full_page=True)
        page.emulate_media(color_scheme="light")


def test_the_review_forecasts_and_warns_and_the_list_shows_rates(live_server, page, smtp_server):
    mailbox, campaign = owner_with_campaign(smtp_server, n=40)
    mailbox.imap_host = ""  # replies would go unread: a warning, not a blocker
    mailbox.warmup_enabled = True  # from today: 10 sends, then 15, 20…
    mailbox.save()
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{base}/campaigns/{campaign.pk}/review/")
        forecast = page.locator("[data-forecast]")
        assert forecast.locator("[data-forecast-first] dd").inner_text() == "Right away"
        # Warm-up: 10 sends on the mailbox's first day, then 15, then 20 (the campaign allows 50)
        assert forecast.locator("[data-forecast-rate] dd").inner_text() == "10"
        days = forecast.locator("[data-forecast-days] tbody tr").all_inner_texts()
        assert [row.split("\t")[1] for row in days][:2] == ["10", "15"]
        assert "has no IMAP" in page.locator("[data-warning]").inner_text()
        assert page.locator("[data-launch]").is_visible()
        shoot_full(page, f"review-{name}")
    for label in NAV:  # on the phone too, every link says where it goes
        link = page.locator(".sidebar .nav a", has_text=label)
        assert link.locator("span").is_visible(), label

    campaign_launch(campaign=campaign)
    assert dispatch_an_hour_later() == 10
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(f"{base}/campaigns/")
        row = page.locator(f'[data-campaign="{campaign.name}"]')
        assert row.locator("[data-sent]").inner_text().startswith("10")
        assert row.locator("[data-replied]").inner_text() == "0.0%"
        shoot_full(page, f"campaign-list-{name}")
