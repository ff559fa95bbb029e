"""The first journey of every user: sign up, verify, turn on 2FA, sign in again with it."""

import re
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from accounts.models import AuditLog, User
from tests.conftest import PASSWORD, totp_from_secret
from tests.e2e.accounts import sign_up_and_verify

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_signup_verify_enable_2fa_and_sign_in_with_a_code(live_server, page):
    base = live_server.url
    sign_up_and_verify(page, base, name="Erin Example", email="erin@example.com")
    assert page.locator("h1.page-title").inner_text() == "Home"

    # Turn on two-factor authentication with the shown secret.
    page.goto(base + "/settings/security/2fa/setup/")
    # The setup's three steps are a numbered list, not the campaign wizard's pills and counters.
    first_step = page.locator("ol.setup-steps > li").first
    assert first_step.evaluate("li => getComputedStyle(li).display") == "list-item"
    assert first_step.evaluate("li => getComputedStyle(li, '::before').content") in ("none", "")
    page.screenshot(path=str(Path(settings.VAR_DIR) / "e2e-2fa-setup.png"), full_page=True)
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.fill("input[name=code]", totp_from_secret(secret))
    page.click("form.stack-form button[type=submit]")
    assert page.locator("[data-backup-codes] li").count() == 10

    # Sign out through the account menu.
    page.click("summary.avatar")
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/accounts/login/"))

    # Sign in: the password, then a code from the next time step (codes are single-use).
    page.fill("input[name=login]", "erin@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    with time_machine.travel(time.time() + 30):
        page.fill("input[name=code]", totp_from_secret(secret))
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
    assert "Welcome, Erin" in page.content()

    user = User.objects.get(email="erin@example.com")
    actions = set(AuditLog.objects.filter(user=user).values_list("action", flat=True))
    assert {"signup", "email_confirmed", "2fa_enabled", "login", "2fa_verified"} <= actions

    shots = Path(settings.VAR_DIR)
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "e2e-dashboard.png"), full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=str(shots / "e2e-dashboard-dark.png"), full_page=True)
