"""Account pages that used to mislead: signing in, password errors, labels."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD, enable_two_factor, totp_now

pytestmark = pytest.mark.django_db


def sign_in(client, email="alice@example.com"):
    return client.post(
        reverse("account_login"), {"login": email, "password": PASSWORD}, follow=True
    )


def test_signed_in_is_not_said_before_the_second_factor(client, alice):
    device, _codes = enable_two_factor(alice)
    code_page = sign_in(client).content.decode()
    assert "Successfully signed in" not in code_page
    done = client.post(reverse("two_factor_login"), {"code": totp_now(device)}, follow=True)
    assert "Successfully signed in as" in done.content.decode()


def test_without_a_second_factor_signing_in_says_so_at_once(client, alice):
    assert "Successfully signed in as" in sign_in(client).content.decode()
