import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog
from tests.conftest import PASSWORD, enable_two_factor, totp_now

pytestmark = pytest.mark.django_db


def login(client, email, password=PASSWORD, ip="127.0.0.1"):
    data = {"login": email, "password": password}
    return client.post(reverse("account_login"), data, REMOTE_ADDR=ip)


def test_it_signs_in_without_two_factor(client, alice):
    response = login(client, "alice@example.com")
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN)
    assert entry.user == alice
    assert entry.ip_address == "127.0.0.1"


def test_a_wrong_password_is_refused_and_audited(client, alice):
    response = login(client, "alice@example.com", "not the password")
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302
    entry = AuditLog.objects.get(action=AuditLog.Action.LOGIN_FAILED)
    assert entry.user == alice
    assert entry.metadata["email"] == "alice@example.com"
    assert "not the password" not in str(entry.metadata)


def test_failed_logins_are_rate_limited(client, alice):
    for _ in range(5):
        login(client, "alice@example.com", "wrong-password")
    response = login(client, "alice@example.com")  # even the right password waits now
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_strangers_failures_elsewhere_do_not_lock_the_owner_out(client, alice):
    for _ in range(10):
        login(client, "alice@example.com", "wrong-password", ip="203.0.113.9")
    assert "Too many" in login(client, "alice@example.com", ip="203.0.113.9").content.decode()
    assert login(client, "alice@example.com").status_code == 302  # alice, from her address


def test_one_address_guessing_many_accounts_is_throttled(client, alice, settings):
    settings.LOGIN_RATE_LIMITS = ((5, 300), (8, 900))
    for n in range(8):
        login(client, f"someone{n}@example.com", "guess", ip="203.0.113.9")
    response = login(client, "alice@example.com", ip="203.0.113.9")
    assert "Too many failed login attempts" in response.content.decode()


def test_a_password_reset_lets_the_owner_back_in(client, alice):
    from allauth.account.signals import password_reset

    for _ in range(5):
        login(client, "alice@example.com", "wrong-password")
    password_reset.send(sender=type(alice), request=None, user=alice)
    assert login(client, "alice@example.com").status_code == 302


def test_two_factor_users_must_enter_a_code(client, alice):
    device, _codes = enable_two_factor(alice)
    response = login(client, "alice@example.com")
    assert response.status_code == 302
    # Signed in with the password, but held at the code page.
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_login"))
    assert client.get(reverse("settings_profile")).status_code == 302

    response = client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.TWO_FACTOR_VERIFIED).exists()


def test_a_wrong_code_keeps_the_door_shut(client, alice):
    enable_two_factor(alice)
    login(client, "alice@example.com")
    response = client.post(reverse("two_factor_login"), {"code": "000000"})
    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    assert AuditLog.objects.filter(action=AuditLog.Action.TWO_FACTOR_FAILED).exists()


def test_a_backup_code_works_exactly_once(client, alice):
    _device, codes = enable_two_factor(alice)
    login(client, "alice@example.com")
    response = client.post(reverse("two_factor_login"), {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditLog.objects.filter(action=AuditLog.Action.BACKUP_CODE_USED).exists()

    client.logout()
    login(client, "alice@example.com")
    response = client.post(reverse("two_factor_login"), {"code": codes[0]})
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_codes_are_rate_limited(client, alice):
    device, _codes = enable_two_factor(alice)
    login(client, "alice@example.com")
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            client.post(reverse("two_factor_login"), {"code": "000000"})
        # Right code, but too soon after three wrong ones.
        response = client.post(reverse("two_factor_login"), {"code": totp_now(device)})
        assert "Too many wrong codes" in response.content.decode()
        assert client.get(reverse("dashboard")).status_code == 302


def test_the_code_page_never_redirects_off_site(client, alice):
    device, _codes = enable_two_factor(alice)
    login(client, "alice@example.com")
    response = client.post(
        reverse("two_factor_login") + "?next=https://evil.example/",
        {"code": totp_now(device), "next": "//evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_logout_is_audited(client, alice):
    login(client, "alice@example.com")
    client.post(reverse("account_logout"))
    assert AuditLog.objects.filter(user=alice, action=AuditLog.Action.LOGOUT).exists()


def test_the_code_page_returns_to_the_page_asked_for_with_its_query(client, alice):
    device, _codes = enable_two_factor(alice)
    login(client, "alice@example.com")
    response = client.get("/notifications/?a=1&b=2")
    assert response["Location"] == "/accounts/2fa/?next=%2Fnotifications%2F%3Fa%3D1%26b%3D2"
    response = client.post(response["Location"], {"code": totp_now(device)})
    assert response["Location"] == "/notifications/?a=1&b=2"
