"""Local fakes of the payment gateways, speaking their wire formats for the calls Postigo uses.

`FakeStripe`: the Stripe API's form-encoded requests and JSON objects for Checkout Sessions and
refunds (what the official `stripe` SDK sends and parses), a hosted "checkout page" a browser
can pay on, and webhook events signed with Stripe's scheme (`Stripe-Signature: t=…,v1=…`, an
HMAC-SHA256 of "<t>.<payload>" with the endpoint secret), delivered to a URL over real HTTP.

`FakeCoinGate`: CoinGate's API v2 (`POST /v2/orders`, `GET /v2/orders/<id>`, token auth) and
its form-encoded payment callbacks.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlencode


def stripe_signature(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into nested dicts (lists as dicts by index)."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


class _Server:
    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body, content_type="application/json", headers=None):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                owner.requests.append(("GET", self.path, self.headers, b""))
                owner.handle(self, "GET", b"")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.requests.append(("POST", self.path, self.headers, body))
                owner.handle(self, "POST", body)

        self.requests: list = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeStripe(_Server):
    def __init__(self, *, api_key: str, webhook_secret: str):
        super().__init__()
        self.api_key, self.webhook_secret = api_key, webhook_secret
        self.sessions: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.webhook_url = ""  # where the hosted page's payment sends its event
        self.counter = itertools.count(1)

    # --- the API ------------------------------------------------------------------------
    def handle(self, h, method: str, body: bytes) -> None:
        path = h.path.split("?")[0]
        if path.startswith("/v1/") and h.headers.get("Authorization") != f"Bearer {self.api_key}":
            return h._reply(401, _error("invalid_request_error", "Invalid API Key provided"))
        if method == "POST" and path == "/v1/checkout/sessions":
            return h._reply(*self._create_session(_unflatten(parse_qsl(body.decode()))))
        match = re.fullmatch(r"/v1/checkout/sessions/(cs_test_\w+)", path)
        if method == "GET" and match:
            session = self.sessions.get(match.group(1))
            if session is None:
                return h._reply(404, _error("invalid_request_error", "No such checkout.session"))
            return h._reply(200, session)
        if method == "POST" and path == "/v1/refunds":
            return h._reply(*self._refund(_unflatten(parse_qsl(body.decode()))))
        match = re.fullmatch(r"/pay/(cs_test_\w+)", path)
        if match and match.group(1) in self.sessions:
            return self._hosted_page(h, method, self.sessions[match.group(1)])
        return h._reply(404, _error("invalid_request_error", f"Unrecognized request URL {path}"))

    def _create_session(self, params: dict):
        try:
            item = params["line_items"]["0"]
            amount = int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
            currency = item["price_data"]["currency"]
            success_url, cancel_url = params["success_url"], params["cancel_url"]
        except (KeyError, ValueError):
            return 400, _error("invalid_request_error", "Missing required param: line_items")
        if params.get("mode") != "payment":
            return 400, _error("invalid_request_error", "Invalid mode")
        session_id = f"cs_test_{secrets.token_hex(12)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": cancel_url,
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": success_url,
            "url": f"{self.base}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session

    def _refund(self, params: dict):
        intent = params.get("payment_intent", "")
        session = next((s for s in self.sessions.values() if s["payment_intent"] == intent), None)
        if session is None:
            return 404, _error("invalid_request_error", f"No such payment_intent: '{intent}'")
        amount = int(params.get("amount") or session["amount_total"])
        refunded = sum(r["amount"] for r in self.refunds if r["payment_intent"] == intent)
        if refunded + amount > session["amount_total"]:
            return 400, _error(
                "invalid_request_error", "Refund amount is greater than unrefunded amount"
            )
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": session["currency"],
            "payment_intent": intent,
            "status": "succeeded",
        }
        self.refunds.append(refund)
        return 200, refund

    def _hosted_page(self, h, method: str, session: dict):
        if method == "POST":  # the payer pays: Stripe sends the event, then redirects back
            self.pay(session["id"], deliver=True)
            return h._reply(303, b"", headers={"Location": session["success_url"]})
        amount = session["amount_total"] / 100
        page = (
            "<!doctype html><title>Fake Checkout</title><h1>Pay "
            f"{amount:.2f} {session['currency'].upper()}</h1>"
            '<form method="post"><button type="submit">Pay</button></form>'
        ).encode()
        return h._reply(200, page, content_type="text/html; charset=utf-8")

    # --- what tests do -------------------------------------------------------------------
    def pay(self, session_id: str, *, deliver: bool = False, payment_status: str = "paid"):
        """The payer completes the session: returns the signed `checkout.session.completed`
        event (payload, signature), and POSTs it to `webhook_url` when `deliver`."""
        session = self.sessions[session_id]
        session["payment_intent"] = session["payment_intent"] or f"pi_{secrets.token_hex(12)}"
        session["status"], session["payment_status"] = "complete", payment_status
        payload, signature = self.event("checkout.session.completed", dict(session))
        if deliver:
            self.deliver(payload, signature)
        return payload, signature

    def event(self, type_: str, obj: dict, *, event_id: str | None = None, timestamp=None):
        payload = json.dumps(
            {
                "id": event_id or f"evt_{secrets.token_hex(12)}",
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "livemode": False,
                "type": type_,
                "data": {"object": obj},
            }
        ).encode()
        return payload, stripe_signature(payload, self.webhook_secret, timestamp=timestamp)

    def refund_event(self, session_id: str, amount_refunded: int):
        session = self.sessions[session_id]
        charge = {
            "id": f"ch_{secrets.token_hex(12)}",
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": amount_refunded,
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "refunded": amount_refunded >= session["amount_total"],
        }
        return self.event("charge.refunded", charge)

    def dispute_event(self, session_id: str, *, dispute_id: str, closed: str | None = None):
        session = self.sessions[session_id]
        dispute = {
            "id": dispute_id,
            "object": "dispute",
            "amount": session["amount_total"],
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "status": closed or "needs_response",
        }
        kind = "charge.dispute.closed" if closed else "charge.dispute.created"
        return self.event(kind, dispute)

    def deliver(self, payload: bytes, signature: str) -> int:
        request = urllib.request.Request(
            self.webhook_url,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status


def _error(kind: str, message: str) -> dict:
    return {"error": {"type": kind, "message": message}}


class FakeCoinGate(_Server):
    def __init__(self, *, api_key: str):
        super().__init__()
        self.api_key = api_key
        self.orders: dict[str, dict] = {}
        self.ids = itertools.count(1000)

    def handle(self, h, method: str, body: bytes) -> None:
        path = h.path.split("?")[0]
        if h.headers.get("Authorization") != f"Token {self.api_key}":
            return h._reply(401, {"message": "Not authorized", "reason": "BadAuthToken"})
        if method == "POST" and path == "/v2/orders":
            fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            missing = [
                k for k in ("price_amount", "price_currency", "receive_currency") if k not in fields
            ]
            if missing:
                return h._reply(422, {"message": "Order is not valid", "reason": "OrderIsNotValid"})
            order_id = str(next(self.ids))
            order = {
                "id": int(order_id),
                "status": "new",
                "title": fields.get("title", ""),
                "price_currency": fields["price_currency"],
                "price_amount": fields["price_amount"],
                "receive_currency": fields["receive_currency"],
                "receive_amount": "",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "order_id": fields.get("order_id", ""),
                "payment_url": f"{self.base}/invoice/{order_id}",
                "token": fields.get("token", ""),
                "_callback_url": fields.get("callback_url", ""),
            }
            self.orders[order_id] = order
            return h._reply(200, {k: v for k, v in order.items() if not k.startswith("_")})
        match = re.fullmatch(r"/v2/orders/(\d+)", path)
        if method == "GET" and match and match.group(1) in self.orders:
            order = self.orders[match.group(1)]
            return h._reply(200, {k: v for k, v in order.items() if not k.startswith("_")})
        return h._reply(404, {"message": "Order not found", "reason": "OrderNotFound"})

    def set_status(self, order_id: str, status: str) -> None:
        self.orders[str(order_id)]["status"] = status

    def callback_body(self, order_id: str, *, token: str | None = None, **override) -> bytes:
        """The form CoinGate posts to the order's callback_url."""
        order = self.orders[str(order_id)]
        fields = {
            "id": order["id"],
            "order_id": order["order_id"],
            "status": order["status"],
            "price_amount": order["price_amount"],
            "price_currency": order["price_currency"],
            "receive_currency": order["receive_currency"],
            "receive_amount": order["price_amount"],
            "pay_amount": "0.000123",
            "pay_currency": "BTC",
            "created_at": order["created_at"],
            "token": order["token"] if token is None else token,
        }
        fields.update(override)
        return urlencode(fields).encode()
