"""The billing page, its ledger export, receipts and settings."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from billing.models import LedgerEntry, Payment
from billing.payments import receipt_issue
from billing.services import account_for, balance_of, send_charge, usage_charge
from billing.usage import usage_chart


def paid_payment(workspace, amount=2500) -> Payment:
    return Payment.objects.create(
        workspace=workspace, gateway="stripe", amount=amount, currency="EUR", status="paid"
    )


def test_offline_the_page_shows_the_starter_credit_and_says_no_gateway_is_configured(
    alice_client, settings
):
    settings.STRIPE_SECRET_KEY = settings.COINGATE_API_KEY = ""
    body = alice_client.get(reverse("billing_overview")).content.decode()
    assert "5.00 EUR" in body and "Starter credit" in body
    assert "no payment gateway is configured" in body
    assert "Pays for 500 more emails" in body


def test_the_ledger_exports_as_csv_with_its_filter(alice_client, workspace_a):
    send_charge(workspace=workspace_a, count=3, reference="campaign:1")
    response = alice_client.get(reverse("billing_ledger_export") + "?kind=charge")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["kind"], r["credit"], r["debit"], r["quantity"]) for r in rows] == [
        ("charge", "", "0.03", "3")
    ]


def test_a_formula_in_a_reason_is_defused_in_the_export(alice_client, workspace_a, alice):
    from billing.services import manual_adjustment

    manual_adjustment(workspace=workspace_a, amount=1, reason="=HYPERLINK(1)", created_by=alice)
    body = b"".join(alice_client.get(reverse("billing_ledger_export")).streaming_content)
    assert b"'=HYPERLINK(1)" in body


def test_another_workspaces_ledger_is_not_shown(alice_client, workspace_b):
    send_charge(workspace=workspace_b, count=7, reference="theirs")
    body = alice_client.get(reverse("billing_overview")).content.decode()
    assert "7 email(s) sent" not in body


def test_receipts_are_numbered_in_sequence_across_workspaces(workspace_a, workspace_b):
    numbers = [
        receipt_issue(paid_payment(w)).number for w in (workspace_a, workspace_b, workspace_a)
    ]
    assert numbers == [1, 2, 3]


def test_a_receipt_is_a_pdf_with_both_parties(alice_client, workspace_a, settings):
    settings.OPERATOR_LEGAL_NAME = "Postigo Operations Ltd"
    account = account_for(workspace_a)
    account.billing_name, account.vat_id = "Acme GmbH", "DE123456789"
    account.save()
    receipt = receipt_issue(paid_payment(workspace_a))
    response = alice_client.get(reverse("billing_receipt_pdf", args=[receipt.number]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert receipt.customer_name == "Acme GmbH" and receipt.customer_vat_id == "DE123456789"


def test_another_workspaces_receipt_is_a_404(client, charlie, workspace_a):
    receipt = receipt_issue(paid_payment(workspace_a))
    client.force_login(charlie)
    assert client.get(reverse("billing_receipt_pdf", args=[receipt.number])).status_code == 404


def test_an_owner_saves_billing_details_and_the_threshold(alice_client, workspace_a):
    alice_client.post(
        reverse("billing_settings"),
        {
            "low_balance_threshold": "3.50",
            "resume_after_topup": "",
            "billing_name": "Acme GmbH",
            "billing_address": "Street 1\nBerlin",
            "vat_id": "DE1",
        },
    )
    account = account_for(workspace_a)
    assert account.low_balance_threshold == 350 and not account.resume_after_topup
    assert account.billing_name == "Acme GmbH"


def test_a_member_cannot_change_billing_settings(client, bob, workspace_a):
    client.force_login(bob)
    client.post(
        reverse("billing_settings"),
        {"low_balance_threshold": "0", "billing_name": "Bob's"},
    )
    assert account_for(workspace_a).billing_name == ""


def test_an_ai_call_is_charged_at_its_purposes_price(workspace_a, settings):
    settings.BILLING_PRICE_AI = {"default": 2, "classify": 1}
    before = balance_of(workspace_a)
    usage_charge(workspace=workspace_a, purpose="classify", reference="ai:1")
    usage_charge(workspace=workspace_a, purpose="write", reference="ai:2")
    assert balance_of(workspace_a) == before - 3
    entry = LedgerEntry.objects.filter(workspace=workspace_a).first()
    assert entry.purpose == "ai:write" and entry.unit_price == 2


def test_the_usage_chart_counts_emails_and_ai_calls_per_day(workspace_a):
    send_charge(workspace=workspace_a, count=4, reference="c")
    send_charge(workspace=workspace_a, count=2, reference="c")
    usage_charge(workspace=workspace_a, purpose="classify", reference="ai:1")
    chart = usage_chart(workspace_a)
    today = chart["days"][-1]
    assert (today["emails"], today["ai"]) == (6, 1)
    assert chart["total_emails"] == 6 and chart["total_ai"] == 1


def test_a_call_to_the_operators_ai_provider_is_charged_and_the_workspaces_own_key_is_not(
    gemini_workspace, fake_gemini, settings
):
    from ai.content_filter import content_check

    settings.BILLING_PRICE_AI = {"default": 2, "filter": 3}
    before = balance_of(gemini_workspace)
    content_check(subject="Hi", body="A plain note.", workspace=gemini_workspace)
    entry = LedgerEntry.objects.filter(workspace=gemini_workspace, purpose__startswith="ai").get()
    assert balance_of(gemini_workspace) == before - entry.unit_price
    assert entry.reference.startswith("ai:")


def test_a_call_with_the_workspaces_own_openai_key_costs_nothing(openai_workspace, fake_openai):
    from ai.classifier import reply_refine

    before = balance_of(openai_workspace)
    reply_refine(workspace=openai_workspace, text="Interested, can we call Monday?")
    assert balance_of(openai_workspace) == before
