"""Connecting a mailbox in the browser, against the real test SMTP and IMAP servers."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from smtp_accounts.models import Mailbox
from tests.conftest import make_user
from tests.e2e.accounts import sign_in
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_connect_a_mailbox_and_see_the_test_pass(live_server, page, smtp_server, imap_server):
    from accounts.services import workspace_create

    user = make_user("owner@example.com", name="Owner")
    workspace_create(owner=user, name="Acme")
    assert Membership.objects.filter(user=user).exists()
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(base + "/mailboxes/")
    page.click("text=Connect your first mailbox")
    # Choosing a provider refills the server fields over htmx.
    page.select_option("#id_provider", "google")
    expect(page.locator("#id_smtp_host")).to_have_value("smtp.gmail.com")
    page.select_option("#id_provider", "custom")
    expect(page.locator("#id_smtp_host")).to_have_value("")

    page.fill("#id_from_name", "Owner at Acme")
    page.fill("#id_email", smtp_server.username)
    page.fill("#id_smtp_host", "localhost")
    page.fill("#id_smtp_port", str(smtp_server.port))
    page.select_option("#id_smtp_security", "starttls")
    page.fill("#id_smtp_username", smtp_server.username)
    page.fill("#id_smtp_password", smtp_server.password)
    page.fill("#id_imap_host", "localhost")
    page.fill("#id_imap_port", str(imap_server.port))
    page.select_option("#id_imap_security", "starttls")
    page.fill("#id_imap_password", imap_server.password)
    page.fill("#id_signature_text", "Owner\nAcme, Berlin")
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/mailboxes/\d+/$"))
    assert page.locator("#test-result").get_attribute("data-test-ok") == "yes"
    expect(page.locator("[data-signature-hint]")).to_contain_text("{{signature}}")
    assert Mailbox.objects.get().signature_text == "Owner\r\nAcme, Berlin"
    page.locator("[data-signature-hint]").scroll_into_view_if_needed()
    shoot(page, "mailbox-signature")

    # Break the password on the server side, test again: the auth stage and reply show.
    smtp_server.password = "rotated-elsewhere"
    page.click("[data-test-connection]")
    page.wait_for_selector('[data-check="smtp"][data-stage="auth"]')
    assert "535" in page.locator('[data-check="smtp"]').inner_text()
    assert Mailbox.objects.get().last_test_ok is False
    assert console_errors == []
