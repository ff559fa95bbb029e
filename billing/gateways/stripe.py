"""Stripe Checkout through the official SDK; the webhook is verified with Stripe's signature
scheme (HMAC-SHA256 of "<timestamp>.<payload>", stale timestamps refused)."""

from __future__ import annotations

import json

import stripe
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.gateways.base import Callback, CallbackRefused, Checkout, Gateway, GatewayError

PAID = "paid"


def _client() -> stripe.StripeClient:
    extra = {}
    if settings.STRIPE_API_BASE:
        extra["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=1, **extra)


class StripeGateway(Gateway):
    name = "stripe"
    label = gettext_lazy("Card (Stripe)")

    def enabled(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)

    def create_payment(self, payment, *, success_url, cancel_url, callback_url) -> Checkout:
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": payment.currency.lower(),
                        "unit_amount": payment.amount,
                        "product_data": {"name": _("Postigo balance top-up")},
                    },
                }
            ],
            "client_reference_id": str(payment.public_id),
            "metadata": {"payment": str(payment.public_id)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = _client().v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"topup-{payment.public_id}"}
            )
        except stripe.StripeError as exc:
            raise GatewayError(
                _("Stripe refused the payment: %(reason)s") % {"reason": exc.user_message or exc}
            ) from exc
        return Checkout(external_id=session.id, url=session.url)

    def verify_callback(self, *, body: bytes, headers, query) -> Callback:
        signature = headers.get("Stripe-Signature")
        try:
            stripe.Webhook.construct_event(
                body,
                signature,
                settings.STRIPE_WEBHOOK_SECRET,
                tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
            )
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise CallbackRefused(str(exc)) from exc
        return self.callback_from_payload(json.loads(body))

    def callback_from_payload(self, payload: dict) -> Callback:
        obj = payload.get("data", {}).get("object", {}) or {}
        callback = Callback(event_id=payload["id"], type=payload.get("type", ""), payload=payload)
        kind = callback.type
        if kind.startswith("checkout.session."):
            callback.external_id = obj.get("id", "")
            callback.payment_ref = (obj.get("metadata") or {}).get("payment", "") or (
                obj.get("client_reference_id") or ""
            )
            callback.subject = obj.get("payment_intent") or ""
            callback.amount, callback.currency = obj.get("amount_total"), obj.get("currency", "")
            callback.status = _session_status(kind, obj)
        elif kind == "charge.refunded":
            callback.subject = obj.get("payment_intent") or ""
            callback.refunded_total = int(obj.get("amount_refunded") or 0)
        elif kind.startswith("charge.dispute."):
            callback.subject = obj.get("payment_intent") or ""
            callback.dispute_id, callback.dispute_amount = obj.get("id", ""), int(obj["amount"])
            if kind == "charge.dispute.closed":
                callback.dispute_lost = obj.get("status") != "won"
        return callback

    def refund(self, payment, amount: int) -> str:
        try:
            refund = _client().v1.refunds.create(
                params={"payment_intent": payment.charge_ref, "amount": amount}
            )
        except stripe.StripeError as exc:
            raise GatewayError(
                _("Stripe refused the refund: %(reason)s") % {"reason": exc.user_message or exc}
            ) from exc
        return refund.id


def _session_status(kind: str, obj: dict) -> str | None:
    from billing.models import Payment

    if kind == "checkout.session.completed":
        return Payment.Status.PAID if obj.get("payment_status") == PAID else Payment.Status.PENDING
    return {
        "checkout.session.async_payment_succeeded": Payment.Status.PAID,
        "checkout.session.async_payment_failed": Payment.Status.FAILED,
        "checkout.session.expired": Payment.Status.EXPIRED,
    }.get(kind)
