"""Publishing a new policy version: 14 days' notice, email and banner, acceptance at next visit."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, User
from privacy.models import PolicyVersion
from privacy.policies import forget_cached_versions

pytestmark = pytest.mark.django_db


def publish(operator_client, *, days_ahead: float, capture, kind="privacy", version="2027-02-01"):
    effective = timezone.now() + datetime.timedelta(days=days_ahead)
    with capture(execute=True):
        response = operator_client.post(
            reverse("admin:privacy_policyversion_add"),
            {
                "kind": kind,
                "version": version,
                "summary": "Replies are now kept 18 months instead of 24.",
                "body": "Our new policy.\n\nIt keeps replies 18 months.",
                "effective_at_0": effective.strftime("%Y-%m-%d"),
                "effective_at_1": effective.strftime("%H:%M:%S"),
            },
        )
    forget_cached_versions()
    return response


def test_a_version_published_14_days_ahead_is_emailed_to_every_active_user(
    operator_client, alice, bob, django_capture_on_commit_callbacks
):
    User.objects.create_user("gone@example.com", is_active=False)
    response = publish(
        operator_client, days_ahead=14.01, capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    version = PolicyVersion.objects.get()
    assert version.published_by == operator_client.operator
    assert version.notified_at is not None
    told = {m.to[0] for m in mail.outbox}
    assert {"alice@example.com", "bob@example.com", "ops@example.com"} == told
    assert "18 months instead of 24" in mail.outbox[0].body
    assert "Privacy Policy" in mail.outbox[0].subject


def test_a_shorter_notice_is_refused(operator_client, alice, django_capture_on_commit_callbacks):
    response = publish(operator_client, days_ahead=13.9, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert "at least 14 days ahead" in response.content.decode()
    assert not PolicyVersion.objects.exists()
    assert not mail.outbox


def test_users_see_a_banner_until_it_takes_effect(
    client, operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    client.force_login(alice)
    page = client.get(reverse("dashboard")).content.decode()
    assert "takes effect on" in page and "18 months instead of 24" in page
    policy = client.get(reverse("privacy_policy")).content.decode()
    assert "A new version takes effect on" in policy
    upcoming = client.get(reverse("privacy_policy") + "?version=2027-02-01").content.decode()
    assert "It keeps replies 18 months." in upcoming


def test_acceptance_is_asked_once_it_is_in_effect_and_recorded(
    client, operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 200  # not in effect yet

    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        forget_cached_versions()
        client.force_login(alice)
        response = client.get(reverse("campaign_list"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("privacy_accept"))
        page = client.get(response.url).content.decode()
        assert "18 months instead of 24" in page

        client.post(reverse("privacy_accept"), {"accept": "1", "next": reverse("campaign_list")})

        alice.refresh_from_db()
        assert alice.privacy_version == "2027-02-01"
        entry = AuditLog.objects.get(action="policy_accepted", user=alice)
        assert entry.metadata == {"versions": {"privacy": "2027-02-01"}}
        assert client.get(reverse("campaign_list")).status_code == 200
        # The page in effect is now the published text.
        assert (
            "It keeps replies 18 months." in client.get(reverse("privacy_policy")).content.decode()
        )


def test_not_accepting_still_lets_a_user_export_or_close_their_account(
    client, operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        forget_cached_versions()
        client.force_login(alice)
        assert client.get(reverse("privacy_settings")).status_code == 200
        response = client.post(reverse("privacy_accept"), {"next": "/"})
        assert "Tick the box" in response.content.decode()


def test_an_htmx_request_is_sent_to_the_acceptance_page(
    client, operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        forget_cached_versions()
        client.force_login(alice)
        response = client.get(reverse("notification_list"), headers={"HX-Request": "true"})
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("privacy_accept"))


def test_the_acceptance_page_never_redirects_off_site(
    client, operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        forget_cached_versions()
        client.force_login(alice)
        response = client.post(
            reverse("privacy_accept"), {"accept": "1", "next": "https://evil.example/"}
        )
        assert response.url == reverse("dashboard")


def test_signing_up_after_it_took_effect_records_the_new_version(
    client, operator_client, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=16)):
        forget_cached_versions()
        client.logout()
        client.post(
            reverse("account_signup"),
            {
                "email": "newbie@example.com",
                "password1": "correct horse battery staple",
                "password2": "correct horse battery staple",
                "age_confirmed": "on",
                "accept_terms": "on",
            },
        )
    user = User.objects.get(email="newbie@example.com")
    assert user.privacy_version == "2027-02-01"


def test_a_published_version_cannot_be_edited(
    operator_client, alice, django_capture_on_commit_callbacks
):
    publish(operator_client, days_ahead=15, capture=django_capture_on_commit_callbacks)
    version = PolicyVersion.objects.get()
    operator_client.post(
        reverse("admin:privacy_policyversion_change", args=[version.pk]),
        {"summary": "changed", "effective_at_0": "2026-01-01", "effective_at_1": "00:00:00"},
    )
    version.refresh_from_db()
    assert version.summary.startswith("Replies are now kept")
