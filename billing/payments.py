"""Top-ups: start a payment at a gateway, and apply its verified callbacks to the ledger —
once per event (idempotent by event id), whatever order the events arrive in."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from billing import prices
from billing.gateways import gateway as get_gateway
from billing.gateways.base import Callback, GatewayError
from billing.models import GatewayEvent, LedgerEntry, Payment, Receipt
from billing.services import BillingError, _post, account_for

logger = logging.getLogger(__name__)
Status = Payment.Status
FINAL = {Status.PAID}


def topup_validate(amount: int) -> None:
    low, high = settings.BILLING_TOPUP_MIN, settings.BILLING_TOPUP_MAX
    if not low <= amount <= high:
        raise BillingError(
            _("A top-up is between %(low)s and %(high)s.")
            % {"low": prices.money(low), "high": prices.money(high)}
        )


def payment_start(
    *,
    workspace: Workspace,
    user: User,
    gateway_name: str,
    amount: int,
    success_url,
    cancel_url: str,
    callback_url,
) -> Payment:
    """Create the payment and its checkout at the gateway; the caller sends the user to
    `payment.checkout_url`. `success_url`/`callback_url` are called with the payment."""
    gw = get_gateway(gateway_name)
    if gw is None or not gw.enabled():
        raise BillingError(_("This payment method is not configured."))
    topup_validate(amount)
    payment = Payment.objects.create(
        workspace=workspace,
        gateway=gw.name,
        amount=amount,
        currency=prices.currency(),
        created_by=user,
    )
    try:
        checkout = gw.create_payment(
            payment,
            success_url=success_url(payment),
            cancel_url=cancel_url,
            callback_url=callback_url(payment),
        )
    except GatewayError:
        payment.status = Status.FAILED
        payment.save(update_fields=["status"])
        raise
    payment.external_id, payment.checkout_url = checkout.external_id, checkout.url
    payment.save(update_fields=["external_id", "checkout_url"])
    return payment


def callback_apply(*, gateway_name: str, callback: Callback) -> str:
    """Apply a verified callback; returns what it did (kept on the event). A replay of an event
    already applied does nothing."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = GatewayEvent.objects.create(
                    gateway=gateway_name,
                    event_id=callback.event_id,
                    type=callback.type,
                    subject=callback.subject,
                    payload=callback.payload,
                )
        except IntegrityError:
            return "duplicate"
        payment = _payment_for(gateway_name, callback)
        if payment is None:
            event.outcome = "deferred" if callback.subject else "ignored: no such payment"
        else:
            event.payment = payment
            event.outcome = _apply(payment, callback)
        event.save(update_fields=["payment", "outcome"])
        return event.outcome


def _payment_for(gateway_name: str, callback: Callback) -> Payment | None:
    queryset = Payment.objects.select_for_update().filter(gateway=gateway_name)
    if callback.external_id:
        payment = queryset.filter(external_id=callback.external_id).first()
        if payment:
            return payment
    if callback.subject:
        return queryset.filter(charge_ref=callback.subject).first()
    return None


def _apply(payment: Payment, callback: Callback) -> str:
    if callback.refunded_total is not None:
        return _refunded(payment, callback.refunded_total)
    if callback.dispute_id:
        return _dispute(payment, callback)
    if callback.status is None:
        return "ignored"
    if callback.subject and not payment.charge_ref:
        payment.charge_ref = callback.subject
        payment.save(update_fields=["charge_ref"])
    if payment.status in FINAL:
        return f"ignored: already {payment.status}"  # e.g. an `expired` arriving late
    if callback.status != Status.PAID:
        payment.status = callback.status
        payment.save(update_fields=["status"])
        return f"status {callback.status}"
    if callback.amount != payment.amount or callback.currency.upper() != payment.currency:
        logger.error("Payment %s: the gateway reports another amount", payment.pk)
        return "refused: amount or currency differs"
    payment.status, payment.paid_at = Status.PAID, timezone.now()
    payment.save(update_fields=["status", "paid_at"])
    _post(
        workspace=payment.workspace_id,
        kind=LedgerEntry.Kind.TOPUP,
        amount=payment.amount,
        reason=_("Top-up by %(gateway)s") % {"gateway": _gateway_label(payment.gateway)},
        reference=f"payment:{payment.public_id}",
        payment=payment,
    )
    receipt_issue(payment)
    # Events about this payment that came before it was paid (a refund, a dispute) apply now.
    if payment.charge_ref:
        early = GatewayEvent.objects.select_for_update().filter(
            gateway=payment.gateway, subject=payment.charge_ref, outcome="deferred"
        )
        for event in early.order_by("received_at", "pk"):
            gw = get_gateway(payment.gateway)
            replayed = gw.callback_from_payload(event.payload) if gw else None
            if replayed is not None:
                event.payment = payment
                event.outcome = _apply(payment, replayed)
                event.save(update_fields=["payment", "outcome"])
    return "credited"


def _gateway_label(name: str) -> str:
    gw = get_gateway(name)
    return gw.label if gw else name


def _refunded(payment: Payment, total: int) -> str:
    if payment.status != Status.PAID:
        return "deferred"
    total = min(total, payment.amount)
    delta = total - payment.refunded
    if delta <= 0:
        return "ignored: refund already recorded"
    payment.refunded = total
    payment.save(update_fields=["refunded"])
    _post(
        workspace=payment.workspace_id,
        kind=LedgerEntry.Kind.REFUND,
        amount=-delta,
        reason=_("Refund of a top-up"),
        reference=f"payment:{payment.public_id}",
        payment=payment,
    )
    return f"refunded {delta}"


def _dispute(payment: Payment, callback: Callback) -> str:
    if payment.status != Status.PAID:
        return "deferred"
    reference = f"dispute:{callback.dispute_id}"
    taken = LedgerEntry.objects.filter(reference=reference, kind=LedgerEntry.Kind.DISPUTE)
    held = taken.balance()  # negative while the dispute holds money
    if callback.dispute_lost is False:  # won: what was held comes back
        if held < 0:
            _post(
                workspace=payment.workspace_id,
                kind=LedgerEntry.Kind.DISPUTE,
                amount=-held,
                reason=_("Dispute won: amount returned"),
                reference=reference,
                payment=payment,
            )
            return "dispute won"
        return "ignored"
    if held == 0 and not taken.exists():
        _post(
            workspace=payment.workspace_id,
            kind=LedgerEntry.Kind.DISPUTE,
            amount=-callback.dispute_amount,
            reason=_("Payment disputed"),
            reference=reference,
            payment=payment,
        )
        payment.disputed = callback.dispute_amount
        payment.save(update_fields=["disputed"])
        return "dispute debited"
    return "ignored: dispute already recorded"


def receipt_issue(payment: Payment) -> Receipt:
    """The next receipt number, without gaps (unique; a race retries)."""
    account = account_for(payment.workspace_id)
    for _attempt in range(5):
        number = (Receipt.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return Receipt.objects.create(
                    number=number,
                    payment=payment,
                    workspace_id=payment.workspace_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    customer_name=account.billing_name or account.workspace.name,
                    customer_address=account.billing_address,
                    customer_vat_id=account.vat_id,
                )
        except IntegrityError:
            continue
    raise RuntimeError("could not number a receipt")


def refund_start(*, payment: Payment, amount: int, user: User, reason: str, request=None) -> str:
    """An operator's refund, asked of the gateway; the ledger moves on its callback."""
    from accounts.services import audit_log

    if not (reason or "").strip():
        raise BillingError(_("A refund needs a reason."))
    if payment.status != Status.PAID:
        raise BillingError(_("Only a paid top-up can be refunded."))
    if not 0 < amount <= payment.amount - payment.refunded:
        raise BillingError(_("The amount is more than what is left to refund."))
    gw = get_gateway(payment.gateway)
    refund_id = gw.refund(payment, amount)
    audit_log(
        action="billing_refund",
        request=request,
        user=user,
        workspace=payment.workspace,
        payment=str(payment.public_id),
        amount=amount,
        reason=reason,
        refund=refund_id,
    )
    return refund_id
