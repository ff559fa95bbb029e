from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import AuditLog, Membership, User
from privacy.policies import PRIVACY_VERSION, TERMS_VERSION
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


def test_it_requires_the_age_confirmation(client):
    data = {k: v for k, v in SIGNUP.items() if k != "age_confirmed"}
    response = client.post(reverse("account_signup"), data)
    assert response.status_code == 200
    assert "You must be 18 or older" in response.content.decode()
    assert not User.objects.filter(email="dana@example.com").exists()


def test_it_requires_accepting_the_terms(client):
    data = {k: v for k, v in SIGNUP.items() if k != "accept_terms"}
    response = client.post(reverse("account_signup"), data)
    assert "Please accept the Terms" in response.content.decode()
    assert not User.objects.exists()


def test_it_creates_the_user_with_consent_and_a_workspace(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="dana@example.com")
    assert user.name == "Dana Diaz"
    assert user.terms_version == TERMS_VERSION
    assert user.privacy_version == PRIVACY_VERSION
    assert user.terms_accepted_at is not None and user.age_confirmed_at is not None
    membership = Membership.objects.get(user=user)
    assert membership.role == Membership.Role.OWNER
    assert AuditLog.objects.filter(user=user, action=AuditLog.Action.SIGNUP).exists()


def test_a_signup_that_fails_half_way_leaves_no_account(client, monkeypatch):
    """The user row, its consent and its address are written together or not at all: an
    account without its recorded consent must not exist."""
    import allauth.account.forms

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(allauth.account.forms, "setup_user_email", broken)
    with pytest.raises(RuntimeError):
        client.post(reverse("account_signup"), SIGNUP)
    assert not User.objects.exists()


def test_it_holds_the_account_until_the_email_is_verified(client):
    response = client.post(reverse("account_signup"), SIGNUP)
    assert response["Location"] == reverse("account_email_verification_sent")
    assert client.get(reverse("dashboard")).status_code == 302
    # A password login is refused until the address is confirmed.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "dana@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_the_emailed_link_verifies_and_signs_in(client):
    client.post(reverse("account_signup"), SIGNUP)
    assert len(mail.outbox) == 1
    link = first_link(mail.outbox[0].body)
    path = urlparse(link).path
    assert client.get(path).status_code == 200  # a GET only shows the confirm button
    assert not EmailAddress.objects.get(email="dana@example.com").verified
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="dana@example.com").verified
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.EMAIL_CONFIRMED).exists()


def test_passwords_are_hashed_with_bcrypt(client, settings):
    from postigo import settings as production_settings

    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    client.post(reverse("account_signup"), SIGNUP)
    user = User.objects.get(email="dana@example.com")
    assert user.password.startswith("bcrypt_sha256$")
    assert user.check_password(PASSWORD)


def test_email_addresses_are_unique_regardless_of_case(client, alice):
    data = {**SIGNUP, "email": "ALICE@Example.com"}
    client.post(reverse("account_signup"), data)
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1


def test_the_signup_page_links_the_texts_being_accepted(client):
    body = client.get(reverse("account_signup")).content.decode()
    assert f'href="{reverse("terms")}"' in body
    assert f'href="{reverse("privacy_policy")}"' in body
    for path in (reverse("terms"), reverse("privacy_policy")):
        page = client.get(path).content.decode()
        assert TERMS_VERSION in page
