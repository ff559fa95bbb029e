"""The billing page (balance, usage, ledger, top-up, receipts, settings), the top-up return
pages, and the gateways' webhook endpoints."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing import prices
from billing.forms import BillingSettingsForm, LedgerFilterForm, TopUpForm
from billing.gateways import enabled_gateways
from billing.gateways import gateway as get_gateway
from billing.gateways.base import CallbackRefused, GatewayError
from billing.models import LedgerEntry, Payment, Receipt
from billing.payments import callback_apply, payment_start
from billing.receipts import receipt_pdf
from billing.services import (
    BillingError,
    account_for,
    account_settings_update,
    emails_left,
)
from billing.usage import usage_chart
from core.csv_export import csv_response
from core.tenancy import get_for_workspace_or_404

logger = logging.getLogger(__name__)
PAGE = 50


def can_manage_billing(request) -> bool:
    """Who may top up and change billing settings: owners and admins (until the permission
    matrix of accounts/permissions.py lands, this is the one place that decides)."""
    membership = getattr(request, "membership", None)
    return bool(membership and membership.can_manage_members)


@login_required
@require_GET
def billing_overview(request):
    workspace = request.workspace
    account = account_for(workspace)
    filters = LedgerFilterForm(request.GET or None)
    entries = filters.apply(LedgerEntry.objects.for_workspace(workspace))
    page = Paginator(entries, PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "billing/overview.html",
        {
            "account": account,
            "balance": prices.money(account.balance, account.currency),
            "emails_left": emails_left(account.balance),
            "price_email": prices.money(prices.price_email()),
            "price_ai": prices.money(prices.price_ai("default")),
            "chart": usage_chart(workspace),
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "gateways": list(enabled_gateways().values()),
            "presets": [(v, prices.money(v)) for v in prices.topup_presets()],
            "topup_form": TopUpForm(),
            "minimum": prices.money(settings.BILLING_TOPUP_MIN),
            "receipts": Receipt.objects.for_workspace(workspace).select_related("payment")[:24],
            "payments": Payment.objects.for_workspace(workspace).exclude(
                status=Payment.Status.PAID
            )[:5],
            "settings_form": BillingSettingsForm(instance=account),
            "can_manage": can_manage_billing(request),
        },
    )


@login_required
@require_GET
def billing_ledger_export(request):
    filters = LedgerFilterForm(request.GET or None)
    entries = filters.apply(LedgerEntry.objects.for_workspace(request.workspace)).order_by(
        "created_at", "pk"
    )
    # Credit and debit as two non-negative columns: a cell starting with "-" would be taken
    # for a formula and defused (core/csv_export.py).
    header = ["date", "kind", "credit", "debit", "currency", "balance_after", "quantity"]
    header += ["unit_price", "reason", "reference"]

    def cents(value: int) -> str:
        return f"{value / 100:.2f}"

    rows = (
        [
            e.created_at.isoformat(),
            e.kind,
            cents(e.amount) if e.amount > 0 else "",
            cents(-e.amount) if e.amount < 0 else "",
            e.currency,
            cents(e.balance_after),
            e.quantity,
            cents(e.unit_price),
            e.reason,
            e.reference,
        ]
        for e in entries.iterator(chunk_size=2000)
    )
    return csv_response("postigo-ledger.csv", header, rows)


@login_required
@require_POST
def billing_topup(request):
    if not can_manage_billing(request):
        messages.error(request, _("Only owners and admins can top up the balance."))
        return redirect("billing_overview")
    form = TopUpForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Check the amount.")]:
            messages.error(request, error)
        return redirect("billing_overview")

    def absolute(path: str) -> str:
        # The public address (as in emails), not the request's host: the gateway calls back
        # and sends the payer back there.
        return settings.PUBLIC_BASE_URL + path

    try:
        payment = payment_start(
            workspace=request.workspace,
            user=request.user,
            gateway_name=form.cleaned_data["gateway"],
            amount=form.cleaned_data["amount"],
            success_url=lambda p: absolute(
                reverse("billing_topup_done", args=[p.public_id]) + "?back=1"
            ),
            cancel_url=absolute(reverse("billing_overview") + "?topup=canceled"),
            callback_url=lambda p: absolute(reverse("billing_callback", args=[p.gateway])),
        )
    except (BillingError, GatewayError) as exc:
        messages.error(request, str(exc))
        return redirect("billing_overview")
    # Our page first, which sends the browser on to the gateway's: the page's CSP keeps forms
    # posting to this site only, and a redirect of the form's POST would cross it.
    return redirect("billing_topup_done", payment.public_id)


@login_required
@require_GET
def billing_topup_done(request, public_id):
    payment = get_for_workspace_or_404(Payment, request.workspace, public_id=public_id)
    template = "billing/_topup_status.html" if request.htmx else "billing/topup_done.html"
    # On the way to the gateway (not back from it, nor polling): send the browser on.
    going = (
        payment.status == Payment.Status.CREATED
        and bool(payment.checkout_url)
        and not request.htmx
        and "back" not in request.GET
    )
    return render(
        request,
        template,
        {
            "payment": payment,
            "amount": prices.money(payment.amount, payment.currency),
            "going": going,
        },
    )


@login_required
@require_http_methods(["POST"])
def billing_settings(request):
    if not can_manage_billing(request):
        messages.error(request, _("Only owners and admins can change billing settings."))
        return redirect("billing_overview")
    account = account_for(request.workspace)
    form = BillingSettingsForm(request.POST, instance=account)
    if form.is_valid():
        account_settings_update(account=account, **form.cleaned_data)
        messages.success(request, _("Billing settings saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}")
    return redirect(reverse("billing_overview") + "#settings")


@login_required
@require_GET
def billing_receipt_pdf(request, number: int):
    receipt = get_for_workspace_or_404(
        Receipt.objects.select_related("payment"), request.workspace, number=number
    )
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipt.display_number}.pdf"'
    return response


@csrf_exempt
@require_POST
def billing_callback(request, gateway: str):
    """A gateway's callback (Stripe's webhook, CoinGate's payment callback). 400 for what is
    not proven to come from it; 503 if the gateway could not be asked (it retries)."""
    gw = get_gateway(gateway)
    if gw is None or not gw.enabled():
        return HttpResponse(status=404)
    try:
        callback = gw.verify_callback(body=request.body, headers=request.headers, query=request.GET)
    except CallbackRefused as exc:
        logger.warning("Refused a %s callback: %s", gateway, exc)
        return HttpResponseBadRequest("refused")
    except GatewayError:
        return HttpResponse(status=503)
    outcome = callback_apply(gateway_name=gw.name, callback=callback)
    return HttpResponse(outcome, content_type="text/plain")
