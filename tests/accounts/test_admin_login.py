"""The admin sign-in is one step, answers every failure alike, and is throttled per account
and address, with the password reset as the operator's way back in."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD, enable_two_factor, first_link, make_user, totp_now

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def operator(db):
    user = make_user("ops@example.com", is_staff=True, is_superuser=True)
    device, codes = enable_two_factor(user)
    user.device, user.codes = device, codes
    return user


def sign_in(client, email, password=PASSWORD, code="", address="127.0.0.1"):
    return client.post(
        ADMIN_LOGIN,
        {"username": email, "password": password, "otp_token": code},
        REMOTE_ADDR=address,
    )


def page(response) -> str:
    """The answer without its per-response CSRF token."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_a_right_password_and_a_wrong_one_get_the_same_answer(client, operator):
    wrong = sign_in(client, "ops@example.com", "not-the-password", code="123456")
    right = sign_in(client, "ops@example.com", PASSWORD, code="000000")
    no_code = sign_in(client, "ops@example.com", PASSWORD, code="")
    nobody = sign_in(client, "nobody@example.com", PASSWORD, code="123456")
    assert wrong.status_code == right.status_code == nobody.status_code == 200
    assert page(wrong) == page(right)
    assert page(nobody).replace("nobody@", "ops@") == page(wrong)  # an unknown account too
    assert "The email, password or code is not right." in page(wrong)
    assert no_code.status_code == 200 and "OTP" not in page(no_code)
    assert client.get("/admin/").status_code == 302


def test_the_password_and_a_current_code_open_the_admin(client, operator):
    response = sign_in(client, "ops@example.com", code=totp_now(operator.device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_opens_it_once(client, operator):
    assert sign_in(client, "ops@example.com", code=operator.codes[0]).status_code == 302
    client.logout()
    assert sign_in(client, "ops@example.com", code=operator.codes[0]).status_code == 200


def test_a_user_who_is_not_staff_gets_the_same_answer(client, alice):
    device, _codes = enable_two_factor(alice)
    response = sign_in(client, "alice@example.com", code=totp_now(device))
    assert response.status_code == 200
    assert "The email, password or code is not right." in page(response)


def test_failures_from_one_address_throttle_that_address_for_that_account(client, operator):
    for _ in range(5):
        sign_in(client, "ops@example.com", "guess", code="123456", address="203.0.113.9")
    throttled = sign_in(
        client, "ops@example.com", code=totp_now(operator.device), address="203.0.113.9"
    )
    assert throttled.status_code == 200 and "Too many failed sign-ins" in page(throttled)
    # A stranger's guesses elsewhere do not lock the operator out of their own address.
    response = sign_in(client, "ops@example.com", code=totp_now(operator.device))
    assert response.status_code == 302


def test_one_address_guessing_many_accounts_is_throttled(client, operator):
    for n in range(30):
        sign_in(client, f"someone{n}@example.com", "guess", code="1", address="203.0.113.7")
    throttled = sign_in(
        client, "ops@example.com", code=totp_now(operator.device), address="203.0.113.7"
    )
    assert "Too many failed sign-ins" in page(throttled)


def test_a_password_reset_lets_the_operator_in_at_once(client, operator):
    for _ in range(5):
        sign_in(client, "ops@example.com", "guess", code="123456")
    assert "Too many failed sign-ins" in page(sign_in(client, "ops@example.com"))
    client.post(reverse("account_reset_password"), {"email": "ops@example.com"})
    link = first_link(mail.outbox[-1].body)
    form_url = client.get(link)["Location"]
    new_password = "a brand new passphrase 42"
    client.post(form_url, {"password1": new_password, "password2": new_password})
    response = sign_in(client, "ops@example.com", new_password, code=totp_now(operator.device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
