"""Platform emails (allauth's and ours) are branded, from the configured address, and carry an
HTML part and a plain-text part that say the same thing."""

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD, first_link

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Dana Diaz",
    "email": "dana@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "age_confirmed": "on",
    "accept_terms": "on",
}


@pytest.fixture
def branded(settings):
    settings.PRODUCT_NAME = "Acme Reach"
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Acme Reach] "
    settings.DEFAULT_FROM_EMAIL = "Acme Reach <hello@reach.example>"


def parts_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return message.body, html


def test_the_verification_email_is_branded_with_both_parts(client, branded):
    client.post(reverse("account_signup"), SIGNUP)
    [message] = mail.outbox
    assert message.from_email == "Acme Reach <hello@reach.example>"
    assert message.subject == "[Acme Reach] Confirm your email address"
    text, html = parts_of(message)
    link = first_link(text)
    assert "/accounts/confirm-email/" in link
    assert link in html and "Acme Reach" in text and "Acme Reach" in html
    assert "<" not in text
    assert "<img" not in html and "stylesheet" not in html  # inline CSS, no remote assets


def test_the_password_reset_email_is_branded_with_both_parts(client, alice, branded):
    client.post(reverse("account_reset_password"), {"email": alice.email})
    [message] = mail.outbox
    assert message.subject == "[Acme Reach] Reset your password"
    text, html = parts_of(message)
    link = first_link(text)
    assert "/accounts/password/reset/key/" in link and link in html


def test_the_invitation_email_is_branded_with_both_parts(
    client, alice, branded, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workspace_members"), {"email": "erin@example.com", "role": "member"})
    [message] = mail.outbox
    assert message.from_email == "Acme Reach <hello@reach.example>"
    assert "on Acme Reach" in message.subject
    text, html = parts_of(message)
    link = first_link(text)
    assert "/invite/" in link and link in html


def test_a_security_alert_has_both_parts_with_the_same_reset_link(alice, branded):
    from accounts.security_alerts import security_alert_send

    assert security_alert_send(
        user_id=alice.pk, event="new_sign_in", ip="203.0.113.9", user_agent="Firefox"
    )
    [message] = mail.outbox
    assert message.from_email == "Acme Reach <hello@reach.example>"
    assert message.subject.startswith("[Acme Reach] ")
    text, html = parts_of(message)
    reset = reverse("account_reset_password")
    assert reset in text and reset in html
    assert "203.0.113.9" in text and "203.0.113.9" in html
