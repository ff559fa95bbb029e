"""A Google mailbox connected with OAuth in the browser, through the fake provider's consent
page: a test message goes out over XOAUTH2, an expired token is refreshed by the next send, and
access revoked at the provider pauses the mailbox with "Reconnect"."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.authoring.services import campaign_create, variant_save
from smtp_accounts.models import Mailbox, OAuthToken
from tests.conftest import PASSWORD, make_user
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 420, "height": 860}


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def send_test(page, base, campaign, variant):
    page.goto(f"{base}/campaigns/{campaign.pk}/preview/?variant={variant.pk}")
    page.click("text=Send test")
    return page.locator("[data-test-result]")


def test_connect_with_google_send_refresh_and_revoke(
    live_server, page, settings, google_oauth, oauth_smtp_server
):
    settings.PUBLIC_BASE_URL = live_server.url  # the redirect URL registered at the provider
    owner = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=owner, name="Acme")
    campaign = campaign_create(workspace=workspace, name="Founders")
    variant = campaign.steps.get().variants.get()
    variant_save(variant=variant, subject="Hello", body_html="<p>Hi there</p>", weight=100)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    # Connect: the button, the provider's consent page, back on the mailbox's page.
    page.goto(base + "/mailboxes/new/")
    expect(page.locator('[data-oauth="google"]')).to_have_text("Connect with Google")
    shoot(page, "oauth-connect")
    page.set_viewport_size(PHONE)
    shoot(page, "oauth-connect-phone")
    page.set_viewport_size({"width": 1360, "height": 860})
    page.click('[data-oauth="google"]')
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/authorize"))
    expect(page.locator("body")).to_contain_text("https://mail.google.com/")
    page.click("#allow")
    page.wait_for_url(re.compile(r"/mailboxes/\d+/$"))
    assert page.locator("#test-result").get_attribute("data-test-ok") == "yes"
    expect(page.locator('[data-oauth-mailbox="google"]')).to_contain_text("sender@acme.example")
    shoot(page, "oauth-mailbox")
    mailbox = Mailbox.objects.get(workspace=workspace)

    # A test message goes out, signed in with the token.
    expect(send_test(page, base, campaign, variant)).to_have_attribute("data-test-result", "sent")
    assert oauth_smtp_server.xoauth2_logins[-1] == "sender@acme.example"

    # The token expires: the next send refreshes it first.
    OAuthToken.objects.filter(mailbox=mailbox).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=10)
    )
    google_oauth.expire_access_tokens()
    expect(send_test(page, base, campaign, variant)).to_have_attribute("data-test-result", "sent")
    assert google_oauth.refreshes == 1

    # The user revokes Postigo at Google; once the token is due, the refresh is refused.
    google_oauth.revoke_account("sender@acme.example")
    OAuthToken.objects.filter(mailbox=mailbox).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=10)
    )
    result = send_test(page, base, campaign, variant)
    expect(result).not_to_have_attribute("data-test-result", "sent")
    page.goto(f"{base}/mailboxes/{mailbox.pk}/")
    expect(page.locator("[data-reconnect]")).to_be_visible()
    expect(page.locator("[data-reconnect-needed]")).to_contain_text("no longer has access")
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()
    page.locator("[data-status]").scroll_into_view_if_needed()
    shoot(page, "oauth-reconnect")
    page.set_viewport_size(PHONE)
    page.locator("[data-status]").scroll_into_view_if_needed()
    shoot(page, "oauth-reconnect-phone")
    page.set_viewport_size({"width": 1360, "height": 860})

    # Reconnect: the same mailbox sends again.
    page.click("[data-reconnect]")
    page.click("#allow")
    page.wait_for_url(re.compile(rf"/mailboxes/{mailbox.pk}/$"))
    assert Mailbox.objects.get(pk=mailbox.pk).status == Mailbox.Status.ACTIVE
    expect(send_test(page, base, campaign, variant)).to_have_attribute("data-test-result", "sent")
