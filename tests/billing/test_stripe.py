"""Top-ups through Stripe Checkout: the official SDK against a local fake of Stripe's API, and
webhooks signed with Stripe's scheme. The balance moves only on a verified webhook."""

from __future__ import annotations

import time

from django.urls import reverse

from billing.models import GatewayEvent, LedgerEntry, Payment, Receipt
from billing.services import balance_of
from tests.servers.payments import stripe_signature

WEBHOOK = "/billing/callbacks/stripe/"


def start_topup(client, amount="25.00"):
    response = client.post(reverse("billing_topup"), {"gateway": "stripe", "custom": amount})
    assert response.status_code == 302, response.content
    return response, Payment.objects.latest("created_at")


def post_event(client, payload: bytes, signature: str | None):
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client.post(WEBHOOK, payload, content_type="application/json", **headers)


def test_a_top_up_goes_to_stripe_checkout_and_credits_nothing_yet(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    response, payment = start_topup(alice_client)
    session = stripe_server.sessions[payment.external_id]
    assert response["Location"] == reverse("billing_topup_done", args=[payment.public_id])
    going = alice_client.get(response["Location"]).content.decode()
    assert f'href="{session["url"]}"' in going and "Continue to payment" in going
    assert session["amount_total"] == 2500 and session["currency"] == "eur"
    assert session["metadata"] == {"payment": str(payment.public_id)}
    assert balance_of(workspace_a) == before
    done = alice_client.get(
        reverse("billing_topup_done", args=[payment.public_id]), HTTP_HX_REQUEST="true"
    )
    assert "Waiting for confirmation" in done.content.decode()


def test_the_completed_webhook_credits_the_balance_once_with_a_receipt(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    payload, signature = stripe_server.pay(payment.external_id)
    assert post_event(alice_client, payload, signature).status_code == 200
    assert balance_of(workspace_a) == before + 2500
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID and payment.charge_ref.startswith("pi_")
    assert Receipt.objects.get(payment=payment).number == 1
    done = alice_client.get(reverse("billing_topup_done", args=[payment.public_id]))
    assert "Payment received" in done.content.decode()


def test_a_replayed_event_credits_once(alice_client, workspace_a, stripe_server):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    payload, signature = stripe_server.pay(payment.external_id)
    post_event(alice_client, payload, signature)
    assert post_event(alice_client, payload, signature).content == b"duplicate"
    assert balance_of(workspace_a) == before + 2500


def test_a_second_completed_event_for_the_same_session_credits_once(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    post_event(alice_client, *stripe_server.pay(payment.external_id))
    post_event(alice_client, *stripe_server.pay(payment.external_id))  # a new event id
    assert balance_of(workspace_a) == before + 2500


def test_an_unsigned_event_is_refused(alice_client, workspace_a, stripe_server):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    payload, _signature = stripe_server.pay(payment.external_id)
    assert post_event(alice_client, payload, None).status_code == 400
    assert balance_of(workspace_a) == before
    assert not GatewayEvent.objects.exists()


def test_an_event_signed_with_another_secret_is_refused(alice_client, workspace_a, stripe_server):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    payload, _signature = stripe_server.pay(payment.external_id)
    forged = stripe_signature(payload, "whsec_someone_else")
    assert post_event(alice_client, payload, forged).status_code == 400
    assert balance_of(workspace_a) == before


def test_a_stale_event_is_refused(alice_client, workspace_a, stripe_server):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    payload, _signature = stripe_server.pay(payment.external_id)
    stale = stripe_signature(
        payload, stripe_server.webhook_secret, timestamp=int(time.time()) - 3600
    )
    assert post_event(alice_client, payload, stale).status_code == 400
    assert balance_of(workspace_a) == before


def test_an_unpaid_completion_waits_and_the_async_success_credits(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    post_event(alice_client, *stripe_server.pay(payment.external_id, payment_status="unpaid"))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING and balance_of(workspace_a) == before
    session = dict(stripe_server.sessions[payment.external_id], payment_status="paid")
    post_event(
        alice_client, *stripe_server.event("checkout.session.async_payment_succeeded", session)
    )
    assert balance_of(workspace_a) == before + 2500


def test_an_expiry_arriving_after_the_payment_changes_nothing(
    alice_client, workspace_a, stripe_server
):
    _response, payment = start_topup(alice_client)
    post_event(alice_client, *stripe_server.pay(payment.external_id))
    session = stripe_server.sessions[payment.external_id]
    post_event(alice_client, *stripe_server.event("checkout.session.expired", session))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def test_a_refund_is_a_negative_entry_and_a_repeated_total_is_not_taken_twice(
    alice_client, workspace_a, stripe_server
):
    _response, payment = start_topup(alice_client)
    post_event(alice_client, *stripe_server.pay(payment.external_id))
    after_topup = balance_of(workspace_a)
    post_event(alice_client, *stripe_server.refund_event(payment.external_id, 1000))
    post_event(alice_client, *stripe_server.refund_event(payment.external_id, 1000))
    post_event(alice_client, *stripe_server.refund_event(payment.external_id, 1500))
    assert balance_of(workspace_a) == after_topup - 1500
    refunds = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND)
    assert sorted(e.amount for e in refunds) == [-1000, -500]


def test_a_refund_arriving_before_the_payment_is_applied_once_it_is(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    _response, payment = start_topup(alice_client)
    completed = stripe_server.pay(payment.external_id)  # made, not delivered yet
    refund = stripe_server.refund_event(payment.external_id, 500)
    assert post_event(alice_client, *refund).content == b"deferred"
    assert balance_of(workspace_a) == before
    post_event(alice_client, *completed)
    assert balance_of(workspace_a) == before + 2500 - 500


def test_a_dispute_takes_the_amount_and_a_won_dispute_returns_it(
    alice_client, workspace_a, stripe_server
):
    _response, payment = start_topup(alice_client)
    post_event(alice_client, *stripe_server.pay(payment.external_id))
    paid = balance_of(workspace_a)
    opened = stripe_server.dispute_event(payment.external_id, dispute_id="dp_1")
    post_event(alice_client, *opened)
    post_event(alice_client, *stripe_server.dispute_event(payment.external_id, dispute_id="dp_1"))
    assert balance_of(workspace_a) == paid - 2500
    won = stripe_server.dispute_event(payment.external_id, dispute_id="dp_1", closed="won")
    post_event(alice_client, *won)
    assert balance_of(workspace_a) == paid


def test_an_unknown_event_type_is_acknowledged_and_changes_nothing(
    alice_client, workspace_a, stripe_server
):
    before = balance_of(workspace_a)
    response = post_event(alice_client, *stripe_server.event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert balance_of(workspace_a) == before


def test_a_member_cannot_top_up(client, bob, stripe_server):
    client.force_login(bob)
    client.post(reverse("billing_topup"), {"gateway": "stripe", "custom": "25.00"})
    assert not Payment.objects.exists()


def test_a_top_up_below_the_minimum_is_refused_with_a_message(alice_client, stripe_server):
    response = alice_client.post(
        reverse("billing_topup"), {"gateway": "stripe", "custom": "0.50"}, follow=True
    )
    assert "A top-up is between" in response.content.decode()
    assert not stripe_server.sessions


def test_another_workspaces_payment_page_is_a_404(client, charlie, alice_client, stripe_server):
    _response, payment = start_topup(alice_client)
    client.force_login(charlie)
    response = client.get(reverse("billing_topup_done", args=[payment.public_id]))
    assert response.status_code == 404


def test_stripe_being_unreachable_is_said_and_nothing_is_credited(
    alice_client, workspace_a, stripe_server, settings
):
    from tests.servers.smtp import free_port

    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"  # nobody listens
    before = balance_of(workspace_a)
    response = alice_client.post(
        reverse("billing_topup"), {"gateway": "stripe", "custom": "25.00"}, follow=True
    )
    assert response.status_code == 200
    assert "Stripe refused the payment" in response.content.decode()
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert balance_of(workspace_a) == before
