import pytest
from django.utils import timezone

from tests.privacy.factories import make_campaign


@pytest.fixture
def live_message(workspace_a):
    """A message of a campaign active now: the parent of rows that expire on their own."""
    return make_campaign(workspace_a, at=timezone.now()).message


@pytest.fixture
def operator_client(client, db):
    """A client signed in to the admin as an operator who passed the second factor."""
    from django.urls import reverse

    from tests.conftest import enable_two_factor, make_user, totp_now

    operator = make_user("ops@example.com", is_staff=True, is_superuser=True)
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    client.operator = operator
    return client
