"""Sessions end after their lifetime or a stretch of inactivity and are purged; security events
are emailed; owners and admins read the workspace's audit log."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from accounts.services import audit_log
from accounts.tasks import purge_expired_sessions
from tests.conftest import PASSWORD, totp_now

pytestmark = pytest.mark.django_db

CHROME = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; rv:133.0) Gecko/20100101 Firefox/133.0"


def sign_in(client, email="alice@example.com", *, agent=CHROME, ip="198.51.100.7"):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": PASSWORD},
        HTTP_USER_AGENT=agent,
        REMOTE_ADDR=ip,
    )


def signed_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def test_a_session_ends_after_the_idle_time(client, alice, settings):
    settings.SESSION_IDLE_HOURS = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        sign_in(client)
        assert signed_in(client)
    with time_machine.travel(start + datetime.timedelta(hours=1, minutes=59), tick=False):
        assert signed_in(client)  # activity moves the idle clock on
    with time_machine.travel(start + datetime.timedelta(hours=3, minutes=50), tick=False):
        assert signed_in(client)
    with time_machine.travel(start + datetime.timedelta(hours=5, minutes=51), tick=False):
        assert not signed_in(client)


def test_a_session_ends_after_its_lifetime_even_when_used(client, alice, settings):
    settings.SESSION_IDLE_HOURS = 2
    settings.SESSION_LIFETIME_HOURS = 5
    start = timezone.now()
    for hour in range(5):
        with time_machine.travel(start + datetime.timedelta(hours=hour), tick=False):
            if hour == 0:
                sign_in(client)
            assert signed_in(client)
    with time_machine.travel(start + datetime.timedelta(hours=5, minutes=1), tick=False):
        assert not signed_in(client)


def test_expired_sessions_are_purged(client, alice):
    sign_in(client)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    sign_in(client.__class__())  # a second, current session
    assert purge_expired_sessions() == 1
    assert Session.objects.count() == 1


def test_a_sign_in_from_a_new_device_is_emailed_and_a_known_one_is_not(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client)  # the account's first sign-in: nothing to compare with
        client.logout()
        sign_in(client)  # same browser, same address
    assert mail.outbox == []
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, agent=FIREFOX, ip="203.0.113.50")
    [alert] = mail.outbox
    assert alert.to == ["alice@example.com"]
    assert alert.subject == "[Postigo] New sign-in to your Postigo account"
    assert "203.0.113.50" in alert.body and "Firefox" in alert.body
    assert "/accounts/password/reset/" in alert.body


def test_a_password_change_is_emailed(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_change_password"),
            {
                "oldpassword": PASSWORD,
                "password1": "a new passphrase 77",
                "password2": "a new passphrase 77",
            },
        )
    assert [m.subject for m in mail.outbox] == ["[Postigo] Your Postigo password was changed"]


def test_turning_two_factor_on_is_emailed(client, alice, django_capture_on_commit_callbacks):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(alice)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("two_factor_setup"), {"code": totp_now(device)})
    assert "[Postigo] Two-factor authentication was turned on" in [m.subject for m in mail.outbox]


def test_an_email_change_is_told_to_the_old_address_too(
    client, alice, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress
    from allauth.account.signals import email_changed

    old = EmailAddress.objects.get(user=alice)
    new = EmailAddress.objects.create(user=alice, email="alice@new.example", verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        email_changed.send(
            sender=alice.__class__, request=None, user=alice, from_email_address=old,
            to_email_address=new,
        )  # fmt: skip
    [alert] = mail.outbox
    assert set(alert.to) == {"alice@example.com"}  # (the user's address is still the old one)
    assert "email address" in alert.subject


# --- the audit log in the app ---------------------------------------------------------------


@pytest.fixture
def events(workspace_a, workspace_b, alice, bob, charlie):
    audit_log(action=AuditLog.Action.ROLE_CHANGED, user=alice, workspace=workspace_a, role="x")
    audit_log(action=AuditLog.Action.MEMBER_REMOVED, user=alice, workspace=workspace_a)
    audit_log(action=AuditLog.Action.INVITE_SENT, user=charlie, workspace=workspace_b)


def test_an_owner_reads_the_workspace_log_and_filters_it(client, alice, events):
    client.force_login(alice)
    page = client.get(reverse("workspace_audit_log")).content.decode()
    assert page.count("<tr data-action=") == 2
    assert 'data-action="invite_sent"' not in page  # another workspace's event
    only = client.get(reverse("workspace_audit_log"), {"action": "member_removed"})
    assert only.content.decode().count("<tr data-action=") == 1


def test_a_member_may_not_read_it(client, bob, events):
    client.force_login(bob)
    assert client.get(reverse("workspace_audit_log")).status_code == 403


def test_nonsense_filters_show_nothing_and_say_so(client, alice, events):
    client.force_login(alice)
    page = client.get(reverse("workspace_audit_log"), {"since": "tomorrow", "person": "999"})
    assert page.status_code == 200 and "Some filters were not understood" in page.content.decode()


def test_an_admin_sees_the_tab(client, dave, events):
    client.force_login(dave)
    assert (
        reverse("workspace_audit_log") in client.get(reverse("settings_profile")).content.decode()
    )
