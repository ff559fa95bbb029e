"""The balance and its ledger: every movement goes through `_post`, which locks the workspace's
balance row, appends one entry and moves the cached balance in the same transaction (so the
cached balance is always the ledger's sum: `balance_audit` proves it). Notices of a low or
empty balance go out once per crossing."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User, Workspace
from accounts.services import audit_log, notify, notify_managers_by_email
from billing import prices
from billing.models import BillingAccount, LedgerEntry
from billing.signals import balance_exhausted, balance_low, balance_restored

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind


class InsufficientBalance(Exception):
    """The balance cannot pay for this, and it may not go below zero for it."""


class BillingError(ValueError):
    """A billing action that cannot be done as asked (the message says why)."""


def account_for(workspace: Workspace | int, *, lock: bool = False) -> BillingAccount:
    """The workspace's balance row (created with the defaults if missing)."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    queryset = BillingAccount.objects.select_related("workspace")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    account = queryset.filter(workspace_id=workspace_id).first()
    if account is None:
        BillingAccount.objects.get_or_create(
            workspace_id=workspace_id,
            defaults={
                "currency": prices.currency(),
                "low_balance_threshold": settings.BILLING_LOW_BALANCE_DEFAULT,
            },
        )
        account = queryset.get(workspace_id=workspace_id)
    return account


def balance_of(workspace: Workspace | int) -> int:
    return account_for(workspace).balance


def emails_left(balance: int) -> int | None:
    """How many emails the balance still pays for at the current price (None: emails are free)."""
    price = prices.price_email()
    return None if price == 0 else max(0, balance) // price


def _move(workspace_id: int, amount: int, *, allow_negative: bool) -> BillingAccount | None:
    """Move the cached balance by `amount` in one statement, which also locks the row until the
    transaction ends; None if the row is missing or (without `allow_negative`) the balance
    cannot pay. The account comes back as it is now, its workspace not loaded."""
    sql = (
        f"UPDATE {BillingAccount._meta.db_table} SET balance = balance + %s WHERE workspace_id = %s"
    )
    params = [amount, workspace_id]
    if amount < 0 and not allow_negative:
        sql += " AND balance + %s >= 0"
        params.append(amount)
    sql += " RETURNING id, balance, currency, low_balance_threshold, low_notified, empty_notified"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, balance, currency, threshold, low_notified, empty_notified = row
    return BillingAccount(
        pk=pk,
        workspace_id=workspace_id,
        balance=balance,
        currency=currency,
        low_balance_threshold=threshold,
        low_notified=bool(low_notified),
        empty_notified=bool(empty_notified),
    )


def _post(
    *,
    workspace: Workspace | int,
    kind: str,
    amount: int,
    reason: str,
    reference: str = "",
    allow_negative: bool = True,
    purpose: str = "",
    quantity: int = 0,
    unit_price: int = 0,
    payment=None,
    created_by: User | None = None,
) -> LedgerEntry:
    """Append one entry and move the cached balance with it, in one transaction."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    with transaction.atomic():
        account = _move(workspace_id, amount, allow_negative=allow_negative)
        if account is None:
            balance = account_for(workspace_id).balance  # creates a missing account
            account = _move(workspace_id, amount, allow_negative=allow_negative)
            if account is None:
                raise InsufficientBalance(
                    _("The balance (%(balance)s) cannot pay %(amount)s.")
                    % {"balance": prices.money(balance), "amount": prices.money(-amount)}
                )
        entry = LedgerEntry.objects.create(
            workspace_id=workspace_id,
            kind=kind,
            amount=amount,
            balance_after=account.balance,
            currency=account.currency,
            purpose=purpose,
            quantity=quantity,
            unit_price=unit_price,
            reason=reason[:300],
            reference=reference[:120],
            payment=payment,
            created_by=created_by,
        )
        flags = (account.low_notified, account.empty_notified)
        _crossings(account, account.balance - amount)
        if (account.low_notified, account.empty_notified) != flags:
            BillingAccount.objects.filter(pk=account.pk).update(
                low_notified=account.low_notified, empty_notified=account.empty_notified
            )
    return entry


def balance_credit(
    *,
    workspace: Workspace | int,
    amount: int,
    kind: str = Kind.ADJUSTMENT,
    reason: str,
    reference: str = "",
    payment=None,
    created_by: User | None = None,
) -> LedgerEntry:
    if amount <= 0:
        raise BillingError(_("A credit must be a positive amount."))
    return _post(
        workspace=workspace,
        kind=kind,
        amount=amount,
        reason=reason,
        reference=reference,
        payment=payment,
        created_by=created_by,
    )


def balance_charge(
    *,
    workspace: Workspace | int,
    amount: int,
    reason: str,
    kind: str = Kind.CHARGE,
    reference: str = "",
    purpose: str = "",
    quantity: int = 0,
    unit_price: int = 0,
    allow_negative: bool = False,
    payment=None,
    created_by: User | None = None,
) -> LedgerEntry:
    """Debit `amount` (> 0). Without `allow_negative` a charge the balance cannot pay raises
    InsufficientBalance; with it (something already delivered is being paid for) it may go
    below zero, which the gates in front of sending keep to at most one chunk."""
    if amount <= 0:
        raise BillingError(_("A charge must be a positive amount."))
    return _post(
        workspace=workspace,
        kind=kind,
        amount=-amount,
        reason=reason,
        reference=reference,
        purpose=purpose,
        quantity=quantity,
        unit_price=unit_price,
        allow_negative=allow_negative,
        payment=payment,
        created_by=created_by,
    )


def send_charge(*, workspace: Workspace | int, count: int, reference: str) -> LedgerEntry | None:
    """Charge `count` sent emails at the price in effect, as one entry. Call it inside the
    transaction that records them sent: both commit, or neither."""
    price = prices.price_email()
    if count <= 0 or price == 0:
        return None
    return balance_charge(
        workspace=workspace,
        amount=count * price,
        reason=_("%(n)s email(s) sent") % {"n": count},
        reference=reference,
        purpose=LedgerEntry.Purpose.EMAIL,
        quantity=count,
        unit_price=price,
        allow_negative=True,  # they went out already; the claim gate bounds this
    )


def usage_charge(*, workspace: Workspace | int, purpose: str, reference: str) -> LedgerEntry | None:
    """Charge one AI call made for `purpose` at its price in effect (the ai app calls this when
    it records the call, inside the same transaction)."""
    price = prices.price_ai(purpose)
    if price == 0:
        return None
    return balance_charge(
        workspace=workspace,
        amount=price,
        reason=_("AI call: %(purpose)s") % {"purpose": purpose},
        reference=reference,
        purpose=f"{LedgerEntry.Purpose.AI}:{purpose}"[:40],
        quantity=1,
        unit_price=price,
        allow_negative=True,
    )


def usage_allowed(*, workspace: Workspace | int, purpose: str) -> bool:
    """Whether the balance pays for one AI call for `purpose` now."""
    price = prices.price_ai(purpose)
    return price == 0 or balance_of(workspace) >= price


def can_send(workspace: Workspace | int) -> bool:
    """Whether the balance pays for one email."""
    return emails_left(balance_of(workspace)) != 0


def starter_credit(workspace: Workspace) -> None:
    """A new workspace's free credit (none when the operator sets it to 0)."""
    amount = settings.BILLING_STARTER_CREDIT
    if amount > 0:
        balance_credit(
            workspace=workspace,
            amount=amount,
            kind=Kind.STARTER,
            reason=_("Starter credit"),
            reference=f"workspace:{workspace.pk}",
        )
    else:
        account_for(workspace)


def manual_adjustment(
    *, workspace: Workspace, amount: int, reason: str, created_by: User, request=None
) -> LedgerEntry:
    """An operator's credit (> 0) or debit (< 0), with its reason, audited."""
    reason = (reason or "").strip()
    if not reason:
        raise BillingError(_("A manual adjustment needs a reason."))
    if amount == 0:
        raise BillingError(_("The amount cannot be zero."))
    with transaction.atomic():
        if amount > 0:
            entry = balance_credit(
                workspace=workspace, amount=amount, reason=reason, created_by=created_by
            )
        else:
            entry = balance_charge(
                workspace=workspace,
                amount=-amount,
                kind=Kind.ADJUSTMENT,
                reason=reason,
                allow_negative=True,
                created_by=created_by,
            )
        audit_log(
            action="billing_adjustment",
            request=request,
            user=created_by,
            workspace=workspace,
            amount=amount,
            reason=reason,
            entry=entry.pk,
        )
    return entry


def balance_audit() -> list[tuple[int, int, int]]:
    """(workspace id, cached balance, ledger sum) for every account where they differ: empty
    when the invariant holds (tests and `manage.py billing_audit` check it)."""
    sums = dict(
        LedgerEntry.objects.values("workspace_id")
        .annotate(total=Sum("amount"))
        .values_list("workspace_id", "total")
    )
    wrong = []
    for workspace_id, balance in BillingAccount.objects.values_list("workspace_id", "balance"):
        total = sums.pop(workspace_id, 0)
        if total != balance:
            wrong.append((workspace_id, balance, total))
    wrong.extend((workspace_id, 0, total) for workspace_id, total in sums.items() if total)
    return wrong


def account_settings_update(
    *,
    account: BillingAccount,
    low_balance_threshold: int,
    resume_after_topup: bool,
    billing_name: str,
    billing_address: str,
    vat_id: str,
) -> None:
    with transaction.atomic():
        account = account_for(account.workspace_id, lock=True)
        account.low_balance_threshold = low_balance_threshold
        account.resume_after_topup = resume_after_topup
        account.billing_name, account.billing_address = billing_name, billing_address
        account.vat_id = vat_id
        # A new threshold starts a new crossing.
        account.low_notified = account.balance < low_balance_threshold
        account.save()


# --- crossings: low and empty balance ------------------------------------------------------


def _crossings(account: BillingAccount, before: int) -> None:
    """Inside the posting transaction, with the account locked: tell once per crossing."""
    price = prices.price_email()
    empty = price > 0 and account.balance < price
    low = account.balance < account.low_balance_threshold
    if empty and not account.empty_notified:
        account.empty_notified = account.low_notified = True
        workspace = account.workspace  # loaded only when someone is told
        _tell(
            workspace,
            _("Your balance is used up"),
            _(
                "Your balance (%(balance)s) no longer pays for an email: running campaigns are "
                "paused until you top up."
            )
            % {"balance": prices.money(account.balance, account.currency)},
            level="error",
        )
        balance_exhausted.send(sender=BillingAccount, workspace=workspace)
    elif low and not account.low_notified and not empty:
        account.low_notified = True
        _tell(
            account.workspace,
            _("Your balance is running low"),
            _(
                "Your balance is %(balance)s, below the %(threshold)s you asked to be told "
                "about: that pays for about %(left)s more emails. Top up to keep sending."
            )
            % {
                "balance": prices.money(account.balance, account.currency),
                "threshold": prices.money(account.low_balance_threshold, account.currency),
                "left": emails_left(account.balance),
            },
            level="warning",
        )
        balance_low.send(
            sender=BillingAccount, workspace=account.workspace, balance=account.balance
        )
    if not empty and account.empty_notified:
        account.empty_notified = False
        balance_restored.send(sender=BillingAccount, workspace=account.workspace)
    if not low:
        account.low_notified = False


def _tell(workspace: Workspace, title: str, body: str, *, level: str) -> None:
    url = reverse("billing_overview")
    notify(workspace=workspace, title=title, body=body, url=url, level=level)
    transaction.on_commit(
        lambda: notify_managers_by_email(workspace=workspace, title=title, body=body, url=url)
    )
