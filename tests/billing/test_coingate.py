"""CoinGate top-ups through the same seam: its REST API faked locally; a callback is believed
only with the order's token and when the order, fetched back, says the same."""

from __future__ import annotations

from django.urls import reverse

from billing.models import Payment
from billing.services import balance_of

CALLBACK = "/billing/callbacks/coingate/"


def start(client):
    response = client.post(reverse("billing_topup"), {"gateway": "coingate", "custom": "10.00"})
    assert response.status_code == 302
    return Payment.objects.latest("created_at")


def call_back(client, body: bytes):
    return client.post(CALLBACK, body, content_type="application/x-www-form-urlencoded")


def test_a_paid_order_credits_once(alice_client, workspace_a, coingate_server):
    before = balance_of(workspace_a)
    payment = start(alice_client)
    order = coingate_server.orders[payment.external_id]
    assert order["price_amount"] == "10.00" and order["token"] == payment.callback_token
    coingate_server.set_status(payment.external_id, "paid")
    body = coingate_server.callback_body(payment.external_id)
    assert call_back(alice_client, body).status_code == 200
    assert call_back(alice_client, body).content == b"duplicate"
    assert balance_of(workspace_a) == before + 1000


def test_a_callback_with_a_wrong_token_is_refused(alice_client, workspace_a, coingate_server):
    before = balance_of(workspace_a)
    payment = start(alice_client)
    coingate_server.set_status(payment.external_id, "paid")
    body = coingate_server.callback_body(payment.external_id, token="guessed")
    assert call_back(alice_client, body).status_code == 400
    assert balance_of(workspace_a) == before


def test_a_forged_paid_callback_for_an_unpaid_order_credits_nothing(
    alice_client, workspace_a, coingate_server
):
    before = balance_of(workspace_a)
    payment = start(alice_client)  # the order is still "new" at CoinGate
    body = coingate_server.callback_body(payment.external_id, status="paid")
    call_back(alice_client, body)
    assert balance_of(workspace_a) == before
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CREATED


def test_a_callback_for_an_order_coingate_does_not_know_is_refused(
    alice_client, workspace_a, coingate_server
):
    payment = start(alice_client)
    body = coingate_server.callback_body(payment.external_id)
    del coingate_server.orders[payment.external_id]
    assert call_back(alice_client, body).status_code == 400


def test_confirming_shows_waiting_and_paid_shows_received(alice_client, coingate_server):
    payment = start(alice_client)
    coingate_server.set_status(payment.external_id, "confirming")
    call_back(alice_client, coingate_server.callback_body(payment.external_id))
    page = alice_client.get(reverse("billing_topup_done", args=[payment.public_id]))
    assert "Waiting for confirmation" in page.content.decode()
    coingate_server.set_status(payment.external_id, "paid")
    call_back(alice_client, coingate_server.callback_body(payment.external_id))
    page = alice_client.get(reverse("billing_topup_done", args=[payment.public_id]))
    assert "Payment received" in page.content.decode()


def test_a_disabled_gateway_is_not_offered_and_its_callback_is_a_404(alice_client, settings):
    settings.COINGATE_API_KEY = ""
    settings.STRIPE_SECRET_KEY = ""
    page = alice_client.get(reverse("billing_overview")).content.decode()
    assert "Crypto (CoinGate)" not in page
    assert "not configured" in page
    assert call_back(alice_client, b"id=1").status_code == 404


def test_coingate_unreachable_when_confirming_asks_it_to_call_again(
    alice_client, workspace_a, coingate_server, settings
):
    from tests.servers.smtp import free_port

    before = balance_of(workspace_a)
    payment = start(alice_client)
    coingate_server.set_status(payment.external_id, "paid")
    body = coingate_server.callback_body(payment.external_id)
    settings.COINGATE_API_BASE = f"http://127.0.0.1:{free_port()}"
    assert call_back(alice_client, body).status_code == 503
    assert balance_of(workspace_a) == before
