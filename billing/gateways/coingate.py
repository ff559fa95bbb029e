"""CoinGate (crypto) over its REST API v2 with httpx. A callback is believed only when it
carries the token issued for its order and the order, fetched back from CoinGate with our
key, says the same."""

from __future__ import annotations

import hmac
from decimal import Decimal, InvalidOperation

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.gateways.base import Callback, CallbackRefused, Checkout, Gateway, GatewayError

TIMEOUT = 15


def _status(value: str) -> str | None:
    from billing.models import Payment

    return {
        "new": Payment.Status.CREATED,
        "pending": Payment.Status.PENDING,
        "confirming": Payment.Status.PENDING,
        "paid": Payment.Status.PAID,
        "invalid": Payment.Status.FAILED,
        "expired": Payment.Status.EXPIRED,
        "canceled": Payment.Status.CANCELED,
    }.get(value)


def _minor(amount) -> int:
    try:
        return int((Decimal(str(amount)) * 100).to_integral_exact())
    except (InvalidOperation, ValueError) as exc:
        raise CallbackRefused(f"not an amount: {amount!r}") from exc


class CoinGateGateway(Gateway):
    name = "coingate"
    label = gettext_lazy("Crypto (CoinGate)")

    def enabled(self) -> bool:
        return bool(settings.COINGATE_API_KEY)

    def _http(self) -> httpx.Client:
        return httpx.Client(
            base_url=settings.COINGATE_API_BASE,
            headers={"Authorization": f"Token {settings.COINGATE_API_KEY}"},
            timeout=TIMEOUT,
        )

    def create_payment(self, payment, *, success_url, cancel_url, callback_url) -> Checkout:
        data = {
            "order_id": str(payment.public_id),
            "price_amount": f"{Decimal(payment.amount) / 100:.2f}",
            "price_currency": payment.currency,
            "receive_currency": settings.COINGATE_RECEIVE_CURRENCY,
            "title": _("Postigo balance top-up"),
            "callback_url": callback_url,
            "cancel_url": cancel_url,
            "success_url": success_url,
            "token": payment.callback_token,
        }
        try:
            with self._http() as http:
                response = http.post("/v2/orders", data=data)
        except httpx.HTTPError as exc:
            raise GatewayError(_("CoinGate could not be reached; try again.")) from exc
        if response.status_code >= 300:
            raise GatewayError(
                _("CoinGate refused the order (%(code)s).") % {"code": response.status_code}
            )
        order = response.json()
        return Checkout(external_id=str(order["id"]), url=order["payment_url"])

    def verify_callback(self, *, body: bytes, headers, query) -> Callback:
        # CoinGate posts form fields; the ones we act on are re-read from the API below.
        from urllib.parse import parse_qs

        from billing.models import Payment

        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        order_ref, external = fields.get("order_id", ""), fields.get("id", "")
        payment = Payment.objects.filter(gateway=self.name, public_id=_uuid(order_ref)).first()
        if payment is None or not external or payment.external_id != external:
            raise CallbackRefused("no such order")
        if not hmac.compare_digest(fields.get("token", ""), payment.callback_token):
            raise CallbackRefused("wrong token")
        try:
            with self._http() as http:
                response = http.get(f"/v2/orders/{external}")
        except httpx.HTTPError as exc:
            raise GatewayError(_("CoinGate could not be reached to confirm the order.")) from exc
        if response.status_code != 200:
            raise CallbackRefused(f"CoinGate does not confirm the order ({response.status_code})")
        order = response.json()
        if str(order.get("id")) != external or order.get("order_id") != order_ref:
            raise CallbackRefused("the order CoinGate returns is another")
        status = order.get("status", "")
        callback = Callback(
            event_id=f"{external}:{status}",
            type=f"order.{status}",
            external_id=external,
            payment_ref=order_ref,
            amount=_minor(order.get("price_amount", "0")),
            currency=str(order.get("price_currency", "")),
            status=_status(status),
            payload=order,
        )
        if status == "refunded":
            callback.refunded_total = callback.amount
        return callback


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None
