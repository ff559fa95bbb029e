"""The operator's admin: manual adjustments need a reason; refunds go through the gateway."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import AuditLog
from billing.models import LedgerEntry, Payment
from billing.services import account_for, balance_of

WEBHOOK = "/billing/callbacks/stripe/"


def test_a_credit_without_a_reason_is_refused(admin_client, workspace_a):
    account = account_for(workspace_a)
    url = reverse("admin:billing_billingaccount_adjust", args=[account.pk])
    before = balance_of(workspace_a)
    response = admin_client.post(url, {"amount": "5.00", "reason": ""})
    assert response.status_code == 200 and balance_of(workspace_a) == before


def test_a_credit_with_a_reason_is_an_audited_entry(admin_client, workspace_a):
    account = account_for(workspace_a)
    url = reverse("admin:billing_billingaccount_adjust", args=[account.pk])
    before = balance_of(workspace_a)
    admin_client.post(url, {"amount": "5.00", "reason": "Apology for downtime"})
    assert balance_of(workspace_a) == before + 500
    entry = LedgerEntry.objects.filter(workspace=workspace_a).first()
    assert entry.reason == "Apology for downtime" and entry.created_by is not None
    assert AuditLog.objects.filter(action="billing_adjustment", workspace=workspace_a).exists()


def test_ledger_entries_cannot_be_changed_or_deleted_in_the_admin(admin_client, workspace_a):
    entry = LedgerEntry.objects.filter(workspace=workspace_a).first()
    response = admin_client.post(
        reverse("admin:billing_ledgerentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_a_refund_from_the_admin_goes_to_stripe_and_the_ledger_moves_on_its_webhook(
    admin_client, client, alice, workspace_a, stripe_server
):
    client.force_login(alice)
    client.post(reverse("billing_topup"), {"gateway": "stripe", "custom": "25.00"})
    payment = Payment.objects.get()
    payload, signature = stripe_server.pay(payment.external_id)
    client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    paid = balance_of(workspace_a)
    url = reverse("admin:billing_payment_refund", args=[payment.pk])
    admin_client.post(url, {"amount": "10.00", "reason": "Customer asked"})
    assert stripe_server.refunds[0]["amount"] == 1000
    assert balance_of(workspace_a) == paid  # not until Stripe confirms
    payload, signature = stripe_server.refund_event(payment.external_id, 1000)
    client.post(WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
    assert balance_of(workspace_a) == paid - 1000
    assert AuditLog.objects.filter(action="billing_refund").exists()
