"""The seam every payment gateway implements: create a payment, verify a callback, map the
gateway's states onto ours (and, where the gateway allows it, refund)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class GatewayError(Exception):
    """The gateway could not be reached or refused the request (the message is safe to show)."""


class CallbackRefused(Exception):
    """A callback that is not proven to come from the gateway: never acted on."""


@dataclass
class Checkout:
    external_id: str  # the gateway's id of the payment
    url: str  # where the payer goes to pay


@dataclass
class Callback:
    """A verified callback, in our terms."""

    event_id: str  # unique per gateway: a replay is recognised by it
    type: str
    external_id: str = ""  # the payment it is about, by the gateway's id (if it says)
    payment_ref: str = ""  # our payment's public id (if the gateway echoes it)
    subject: str = ""  # what later events name the payment by (Stripe: the PaymentIntent)
    status: str | None = None  # the payment's new status (Payment.Status), if it changes
    amount: int | None = None  # what was paid, in minor units, to check against ours
    currency: str = ""
    refunded_total: int | None = None  # refunded so far, in total (order-safe)
    dispute_id: str = ""
    dispute_amount: int = 0
    dispute_lost: bool | None = None  # None: opened; True: lost (stays); False: won (returned)
    payload: dict = field(default_factory=dict)


class Gateway(ABC):
    name: str
    label: str

    @abstractmethod
    def enabled(self) -> bool: ...

    @abstractmethod
    def create_payment(
        self, payment, *, success_url: str, cancel_url: str, callback_url: str
    ) -> Checkout: ...

    @abstractmethod
    def verify_callback(self, *, body: bytes, headers, query) -> Callback: ...

    def callback_from_payload(self, payload: dict) -> Callback | None:
        """A stored, already verified event read again (to apply one that came early)."""
        return None

    def refund(self, payment, amount: int) -> str:
        """Ask the gateway to refund `amount`; the ledger moves when its callback confirms."""
        raise GatewayError(
            _("%(gateway)s refunds are made in its own dashboard.") % {"gateway": self.label}
        )
