"""A user exports their data, closes their account, and restores it from the sign-in page."""

import json
import re
import zipfile

import pytest

from accounts.models import User
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, base):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "dana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def test_export_then_close_the_account_then_restore_it(live_server, page, tmp_path):
    make_user("dana@example.com", name="Dana Doe")
    base = live_server.url
    sign_in(page, base)

    # Export: the task runs, the page shows the link, the ZIP holds the profile.
    page.goto(base + "/settings/privacy/")
    page.click("text=Prepare an export")
    page.wait_for_selector(".export-row[data-status=ready]")
    with page.expect_download() as download:
        page.click(".export-row >> text=Download")
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        profile = json.loads(archive.read("profile.json"))
    assert profile[0]["email"] == "dana@example.com"

    # Close the account: password and confirmation, consequences listed on the page.
    page.goto(base + "/settings/privacy/")
    assert "You are signed out everywhere" in page.inner_text("#close-account")
    page.fill("#close-account input[name=account-password]", PASSWORD)
    page.check("#close-account input[name=account-confirm]")
    page.click("#close-account button[type=submit]")
    page.wait_for_url(re.compile(r"/restore/\?closed=1$"))
    assert not User.objects.get(email="dana@example.com").is_active

    # Signing in now says the account is closed and links to restoring it.
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "dana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=restore it")

    # Restore within 30 days.
    page.fill("input[name=email]", "dana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack-form button[type=submit]")
    page.wait_for_url(re.compile(r"/settings/privacy/"))
    assert "your account is restored" in page.inner_text("main")
    assert User.objects.get(email="dana@example.com").is_active


def test_a_new_policy_in_effect_is_accepted_at_the_next_sign_in(live_server, page):
    import datetime

    from django.utils import timezone

    from privacy.models import PolicyVersion

    make_user("dana@example.com", name="Dana Doe")
    # Published 15 days ago with the 14 days' notice; in effect since yesterday.
    PolicyVersion.objects.create(
        kind="privacy",
        version="2026-12-01",
        summary="Replies are kept 18 months instead of 24.",
        published_at=timezone.now() - datetime.timedelta(days=15),
        effective_at=timezone.now() - datetime.timedelta(days=1),
    )
    base = live_server.url
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "dana@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/legal/accept/"))
    assert "18 months instead of 24" in page.inner_text("main")
    page.check("input[name=accept]")
    page.click("text=Accept and continue")
    page.wait_for_url(base + "/")
    assert User.objects.get(email="dana@example.com").privacy_version == "2026-12-01"
