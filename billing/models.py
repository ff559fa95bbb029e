"""Billing: prices in effect, the append-only ledger, the cached balance, payments, their
gateway events and receipts (DESIGN §3). Amounts are integers in the currency's minor unit
(cents): never floats."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.tenancy import WorkspaceManager, WorkspaceQuerySet

# Financial records are kept this long (privacy/retention.py's "financial_records" rule purges
# them afterwards); until then nothing deletes them, not even the erasure of their workspace.
RETENTION_YEARS = 7


class ImmutableError(RuntimeError):
    """A ledger entry, once written, is never changed, nor deleted before its retention ends:
    correct with a new entry."""


def retention_cutoff():
    from dateutil.relativedelta import relativedelta

    return timezone.now() - relativedelta(years=RETENTION_YEARS)


class LedgerQuerySet(WorkspaceQuerySet):
    def update(self, **kwargs):
        raise ImmutableError("Ledger entries are never updated; add a correcting entry.")

    def delete(self):
        """Only entries past their retention period go (the retention purge's batches)."""
        if self.filter(created_at__gte=retention_cutoff()).exists():
            raise ImmutableError("Ledger entries are kept 7 years: these are not past it.")
        return super().delete()

    def balance(self) -> int:
        return self.aggregate(total=models.Sum("amount"))["total"] or 0


class LedgerEntry(models.Model):
    """One movement of a workspace's balance. Positive credits it, negative debits it.

    The workspace is referenced without a database constraint and without cascade: the ledger
    outlives a deleted workspace for the 7 years financial records are kept (privacy's
    retention registry names it); what stays is amounts and ids, nobody's personal data."""

    class Kind(models.TextChoices):
        STARTER = "starter", _("Starter credit")
        TOPUP = "topup", _("Top-up")
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        DISPUTE = "dispute", _("Dispute")
        ADJUSTMENT = "adjustment", _("Adjustment")

    class Purpose(models.TextChoices):
        EMAIL = "email", _("Emails sent")
        AI = "ai", _("AI calls")
        NONE = "", _("—")

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="ledger_entries",
    )
    kind = models.CharField(max_length=12, choices=Kind)
    amount = models.BigIntegerField(help_text=_("In minor units (cents); negative debits."))
    balance_after = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # For charges: what was charged for, how many, at which unit price (the price in effect).
    purpose = models.CharField(max_length=40, blank=True, default="")
    quantity = models.PositiveIntegerField(default=0)
    unit_price = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=300)
    reference = models.CharField(max_length=120, blank=True, db_index=True)
    payment = models.ForeignKey(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = models.Manager.from_queryset(LedgerQuerySet)()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("Ledger entries are never updated; add a correcting entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.created_at >= retention_cutoff():
            raise ImmutableError("Ledger entries are kept 7 years: this one is not past it.")
        return super().delete(*args, **kwargs)


class BillingAccount(models.Model):
    """A workspace's cached balance (always the sum of its ledger, updated in the same
    transaction as each entry, under this row's lock) and its billing settings."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="billing_account"
    )
    balance = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    # Below this balance (minor units) the members get a low-balance notice, once per crossing.
    low_balance_threshold = models.PositiveIntegerField(default=0)
    low_notified = models.BooleanField(default=False)
    empty_notified = models.BooleanField(default=False)
    resume_after_topup = models.BooleanField(
        _("resume campaigns paused for balance after a top-up"), default=True
    )
    billing_name = models.CharField(_("billing name"), max_length=200, blank=True)
    billing_address = models.TextField(_("billing address"), blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=40, blank=True)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"{self.workspace}: {self.balance} {self.currency}"


class Payment(models.Model):
    """A top-up through a gateway. It credits the ledger once, when the gateway's verified
    callback says it is paid — never from the browser's return to the success page."""

    class Status(models.TextChoices):
        CREATED = "created", _("Waiting for payment")
        PENDING = "pending", _("Waiting for confirmation")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        CANCELED = "canceled", _("Canceled")
        EXPIRED = "expired", _("Expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="payments"
    )
    gateway = models.CharField(max_length=20)
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status, default=Status.CREATED)
    # The gateway's id for it (Stripe: the Checkout Session; CoinGate: the order).
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    # Stripe: the PaymentIntent, which refunds and disputes name.
    charge_ref = models.CharField(max_length=200, blank=True, db_index=True)
    checkout_url = models.URLField(max_length=2000, blank=True)
    # Issued per order and echoed by the gateway's callback (CoinGate).
    callback_token = models.CharField(max_length=64, default=secrets.token_urlsafe, editable=False)
    refunded = models.PositiveIntegerField(default=0)
    disputed = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "external_id"],
                condition=~models.Q(external_id=""),
                name="payment_unique_external",
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.amount} {self.currency} ({self.status})"


class GatewayEvent(models.Model):
    """A verified callback from a gateway, kept as received. Unique per (gateway, event id):
    a replayed or duplicated event is recognised and credits nothing again."""

    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=200)
    type = models.CharField(max_length=100)
    # What the event is about at the gateway (Stripe: the PaymentIntent): an event that arrives
    # before its payment is known waits under it ("deferred") and is applied when it is.
    subject = models.CharField(max_length=200, blank=True, db_index=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    payload = models.JSONField()
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()
    workspace_path = "payment__workspace"

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="gateway_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.type} {self.event_id}"


class Receipt(models.Model):
    """A credited top-up's receipt: numbered without gaps, in the order payments were credited,
    with both parties' details as they were when it was issued."""

    number = models.PositiveIntegerField(unique=True)
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="receipt")
    workspace = models.ForeignKey(
        Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="receipts"
    )
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_address = models.TextField(blank=True)
    customer_vat_id = models.CharField(max_length=40, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{settings.BILLING_RECEIPT_PREFIX}{self.number:06d}"
