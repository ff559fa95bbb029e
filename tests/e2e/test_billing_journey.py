"""Top up through the (fake) Stripe Checkout, see the balance, launch, watch it fall, get the
low-balance notice and download the receipt (Chromium)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import dispatch_an_hour_later, owner_with_campaign, sign_in
from tests.e2e.browser import shoot
from tests.servers.payments import FakeStripe

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def stripe_server(settings):
    server = FakeStripe(api_key="sk_test_fake", webhook_secret="whsec_test").start()
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = "sk_test_fake", "whsec_test"
    settings.STRIPE_API_BASE = server.base
    yield server
    server.stop()


def test_top_up_launch_watch_the_balance_fall_and_download_the_receipt(
    live_server, page, smtp_server, stripe_server, settings
):
    settings.BILLING_STARTER_CREDIT = 0
    settings.BILLING_PRICE_EMAIL = 1
    settings.PUBLIC_BASE_URL = live_server.url
    stripe_server.webhook_url = f"{live_server.url}/billing/callbacks/stripe/"
    _mailbox, campaign = owner_with_campaign(smtp_server, n=5, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(f"{base}/billing/")
    expect(page.locator("[data-balance-amount]")).to_have_text("0.00 EUR")
    shoot(page, "billing-empty")
    page.check("input[name=preset][value='1000']")
    page.click("button[name=gateway][value=stripe]")
    expect(page.locator("h1")).to_contain_text("Pay 10.00 EUR")  # Stripe's page (the fake)
    page.click("button:has-text('Pay')")
    expect(page.locator("#topup-status")).to_contain_text("Payment received")
    shoot(page, "billing-topup-done")

    page.goto(f"{base}/billing/")
    expect(page.locator("[data-balance-amount]")).to_have_text("10.00 EUR")
    page.fill("input[name=low_balance_threshold]", "9.98")
    page.click("#settings button[type=submit]")

    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    page.click("[data-launch]")
    page.click("[data-confirm-yes]")  # the launch confirmation
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running"
    )
    assert dispatch_an_hour_later() == 5

    page.goto(f"{base}/billing/")
    expect(page.locator("[data-balance-amount]")).to_have_text("9.95 EUR")
    expect(page.locator("[data-ledger]")).to_contain_text("5 email(s) sent")
    expect(page.locator("[data-usage-totals]")).to_contain_text("5 emails")
    shoot(page, "billing-after-sending")
    page.goto(f"{base}/notifications/")
    expect(page.locator("body")).to_contain_text("Your balance is running low")

    page.goto(f"{base}/billing/")
    with page.expect_download() as downloading:
        page.click("[data-receipts] a")
    pdf = downloading.value.path().read_bytes()
    assert pdf.startswith(b"%PDF") and downloading.value.suggested_filename == "R-000001.pdf"
