"""Write a sequence with AI, check content, launch, see an abusive variant held, and the
operator releasing it in the admin (Chromium; the fake OpenAI server answers)."""

import re

import pytest
from playwright.sync_api import expect

from ai.models import AISettings, BlockedSnapshot, ProviderKey
from campaigns.models import Campaign, Variant
from tests.conftest import PASSWORD, enable_two_factor, make_user, totp_now
from tests.e2e.accounts import owner_with_campaign
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, email, device=None):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if device is not None:
        page.wait_for_url(re.compile(r"/accounts/2fa/"))
        page.fill("input[name=code]", totp_now(device))
        page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_write_with_ai_check_launch_held_and_released(live_server, browser, page, smtp_server,
                                                      fake_openai):  # fmt: skip
    _mailbox, campaign = owner_with_campaign(smtp_server, n=3)
    AISettings.objects.create(workspace=campaign.workspace, provider="openai")
    ProviderKey.objects.create(workspace=campaign.workspace, secret="sk-test-journey-0123456789")
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    # Write with AI: the copy lands in a new variant of the first step.
    page.goto(f"{base}/campaigns/{campaign.pk}/sequence/")
    page.click("[data-ai-writer] summary")
    page.fill("textarea[name=offer]", "Invoicing software that chases late payments")
    page.fill("input[name=audience]", "design agencies")
    page.click("[data-write-with-ai]")
    expect(page.locator(".flash")).to_contain_text("Written by Openai")
    written = Variant.objects.get(step__campaign=campaign, step__position=1, label="C")
    expect(page.locator(f"#variant-{written.pk} input[name=subject]")).to_have_value(
        re.compile(r"Idea for \{\{company\|your team\}\}"))  # fmt: skip
    shoot(page, "ai-written")

    # The user turns that variant into phishing; "Check content" says it would be held.
    page.fill(f"#variant-{written.pk} input[name=subject]", "Verify your account password now")
    expect(page.locator(f"#variant-status-{written.pk} .save-state")).to_have_text("Saved")
    page.click("[data-check-content]")
    expect(page.locator(".flash")).to_contain_text("would hold this campaign for review")

    # Launch: held, with a plain explanation; nothing is enrolled.
    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    page.click("[data-launch]")
    page.click("[data-confirm-yes]")  # the launch confirmation
    expect(page.locator("body")).to_contain_text("Held for review")
    campaign.refresh_from_db()
    assert campaign.held_at and not campaign.enrollments.exists()
    shoot(page, "ai-held")

    # The operator releases it in the admin, after the second factor.
    operator = make_user("ops@example.com", is_staff=True, is_superuser=True)
    device, _codes = enable_two_factor(operator)
    admin = browser.new_context(viewport={"width": 1360, "height": 860}).new_page()
    sign_in(admin, base, "ops@example.com", device)
    admin.goto(f"{base}/admin/ai/blockedsnapshot/")
    admin.click("text=Verify your account password now")
    expect(admin.locator("[data-defanged]").first).to_contain_text("Verify your account")
    admin.fill("textarea[name=reason]", "Reviewed: a demo of our security training.")
    admin.click("button[value=release]")
    expect(admin.locator("body")).to_contain_text("Released: the campaign may resume.")
    shoot(admin, "ai-admin-released")
    admin.context.close()

    assert Campaign.objects.get(pk=campaign.pk).status == "running"
    assert set(BlockedSnapshot.objects.values_list("status", flat=True)) == {"released"}
    page.goto(f"{base}/campaigns/{campaign.pk}/report/")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running")  # fmt: skip
