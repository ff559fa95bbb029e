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


def field_block(page: str, name: str) -> str:
    """The paragraph holding the box named `name`."""
    at = page.index(f'name="{name}"')
    return page[page.rindex("<p", 0, at) : page.index("</p>", at)]


def test_a_password_error_stands_in_the_field_it_is_about(client, db):
    page = client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD + " typo",
            "age_confirmed": "on",
            "accept_terms": "on",
        },
    ).content.decode()
    mismatch = "You must type the same password each time."
    assert mismatch in field_block(page, "password2")
    assert mismatch not in field_block(page, "password1")
    # …between its own label and its box, never between the first box and the second label
    between = page[page.index('name="password1"') : page.index('for="id_password2"')]
    assert "errorlist" not in between


def test_a_weak_password_is_reported_at_the_first_password(client, db):
    page = client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": "12345", "password2": "12345"},
    ).content.decode()
    assert "errorlist" in field_block(page, "password1")
    assert "errorlist" not in field_block(page, "password2")


@pytest.mark.parametrize(
    "name",
    [
        "account_login",
        "account_signup",
        "account_reset_password",
        "two_factor_login",
        "settings_profile",
        "workspace_members",
        "two_factor_setup",
        "lead_list",
        "mailbox_create",
        "suppression_list",
        "lead_import_new",
    ],
)
def test_no_label_ends_with_a_colon(client, alice, name):
    if name not in ("account_login", "account_signup", "account_reset_password"):
        client.force_login(alice)
    page = client.get(reverse(name), follow=True).content.decode()
    assert ":</label>" not in page and ":</legend>" not in page
