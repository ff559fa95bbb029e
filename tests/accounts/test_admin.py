import pytest
from django.urls import reverse

from tests.conftest import enable_two_factor, make_user, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return make_user("ops@example.com", is_staff=True, is_superuser=True)


def test_admin_refuses_staff_without_a_verified_device(client, operator):
    client.force_login(operator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_refuses_staff_whose_session_skipped_the_code(client, operator):
    enable_two_factor(operator)
    client.force_login(operator)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


def test_admin_opens_after_the_second_factor(client, operator):
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
