"""Billing fixtures: the fake Stripe and CoinGate servers, configured as the gateways."""

from __future__ import annotations

import pytest

from tests.servers.payments import FakeCoinGate, FakeStripe

STRIPE_KEY, STRIPE_SECRET = "sk_test_fake", "whsec_test_secret"
COINGATE_KEY = "coingate-test-key"


@pytest.fixture
def stripe_server(settings):
    server = FakeStripe(api_key=STRIPE_KEY, webhook_secret=STRIPE_SECRET).start()
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = STRIPE_KEY, STRIPE_SECRET
    settings.STRIPE_API_BASE = server.base
    yield server
    server.stop()


@pytest.fixture
def coingate_server(settings):
    server = FakeCoinGate(api_key=COINGATE_KEY).start()
    settings.COINGATE_API_KEY, settings.COINGATE_API_BASE = COINGATE_KEY, server.base
    yield server
    server.stop()


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def admin_client(db):
    """An operator who passed the admin's second factor."""
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import enable_two_factor, make_user, totp_now

    operator = make_user("ops@example.com", is_staff=True, is_superuser=True)
    device, _codes = enable_two_factor(operator)
    client = Client()
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    return client
