"""A second language: the signed-in user's setting, the cookie of signed-out pages, platform
emails in the recipient's language, and dates and numbers in the reader's format."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.security_alerts import security_alert_send
from billing.prices import money
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def profile(user, **changes):
    return {"name": user.name, "timezone": user.timezone, "language": user.language,
            "theme": user.theme, **changes}  # fmt: skip


def test_a_signed_in_user_reads_the_pages_in_their_language(client, alice):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(reverse("settings_profile"))
    assert page["Content-Language"] == "fr"
    assert "Enregistrer" in page.content.decode()


def test_changing_the_language_in_settings_takes_effect_on_the_next_page(client, alice):
    client.force_login(alice)
    assert "Save" in client.get(reverse("settings_profile")).content.decode()
    saved = client.post(reverse("settings_profile"), profile(alice, language="fr"), follow=True)
    assert "Votre profil est enregistré." in saved.content.decode()
    assert client.get(reverse("dashboard"))["Content-Language"] == "fr"


def test_the_user_language_wins_over_the_browser_and_follows_them_after_signing_out(client, alice):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.get(reverse("settings_profile"), HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "fr"
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    client.post(reverse("account_logout"))
    assert client.get(reverse("account_login"))["Content-Language"] == "fr"


def test_a_signed_out_visitor_switches_language_and_the_cookie_keeps_it(client):
    login = reverse("account_login")
    assert 'name="language" value="fr"' in client.get(login).content.decode()
    switched = client.post(reverse("set_language"), {"language": "fr", "next": login})
    assert switched.status_code == 302 and switched["Location"] == login
    assert switched.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get(login)
    assert page["Content-Language"] == "fr"
    assert "Restaurer un compte fermé" in page.content.decode()


def test_the_switcher_never_sends_anyone_to_another_site(client):
    switched = client.post(
        reverse("set_language"), {"language": "fr", "next": "https://evil.example/phish"}
    )
    assert switched.status_code == 302
    assert "evil.example" not in switched["Location"]


def test_the_switcher_refuses_a_post_without_its_csrf_token():
    from django.test import Client

    guarded = Client(enforce_csrf_checks=True)
    refused = guarded.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert refused.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in refused.cookies


def test_an_unknown_language_changes_nothing(client):
    switched = client.post(reverse("set_language"), {"language": "xx", "next": "/accounts/login/"})
    assert settings.LANGUAGE_COOKIE_NAME not in switched.cookies


def test_signing_up_on_a_french_page_makes_a_french_account(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "a long enough passphrase 42",
         "password2": "a long enough passphrase 42", "age_confirmed": "on",
         "accept_terms": "on"},
    )  # fmt: skip
    from accounts.models import User

    assert User.objects.get(email="new@example.com").language == "fr"
    assert "Confirmez votre adresse e-mail" in mail.outbox[-1].subject  # allauth, in French


def test_a_security_alert_is_written_in_the_recipients_language(alice):
    alice.language = "fr"
    alice.save(update_fields=["language"])
    assert security_alert_send(user_id=alice.pk, event="password_changed")
    sent = mail.outbox[-1]
    assert "mot de passe" in sent.subject
    assert "Si c’était vous, vous n’avez rien à faire." in sent.body


def test_an_invitation_is_written_in_the_invitees_language(
    client, alice, django_capture_on_commit_callbacks
):
    make_user("dana@example.com", name="Dana Diaz", language="fr")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("workspace_members"), {"email": "dana@example.com", "role": "member"})
    assert mail.outbox[-1].to == ["dana@example.com"]
    assert "Vous êtes invité" in mail.outbox[-1].subject
    assert "Acceptez l’invitation" in mail.outbox[-1].body


def test_amounts_follow_the_readers_number_format():
    assert money(123456, "EUR") == "1,234.56 EUR"
    with translation.override("fr"):
        assert money(123456, "EUR") == "1\N{NO-BREAK SPACE}234,56 EUR"
