"""The ledger: append-only entries in minor units, and a cached balance that is their sum."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts.models import Notification, Workspace
from billing import services
from billing.models import BillingAccount, ImmutableError, LedgerEntry


def test_a_new_workspace_gets_the_starter_credit(db, settings):
    settings.BILLING_STARTER_CREDIT = 750
    workspace = Workspace.objects.create(name="New")
    assert services.balance_of(workspace) == 750
    entry = LedgerEntry.objects.get(workspace=workspace)
    assert entry.kind == LedgerEntry.Kind.STARTER and entry.amount == 750


def test_a_starter_credit_of_zero_opens_an_empty_account_without_an_entry(db, settings):
    settings.BILLING_STARTER_CREDIT = 0
    workspace = Workspace.objects.create(name="New")
    assert services.balance_of(workspace) == 0
    assert not LedgerEntry.objects.filter(workspace=workspace).exists()


def test_a_charge_records_the_price_in_effect_and_a_price_change_leaves_it(workspace_a, settings):
    settings.BILLING_PRICE_EMAIL = 3
    entry = services.send_charge(workspace=workspace_a, count=4, reference="campaign:1")
    settings.BILLING_PRICE_EMAIL = 9
    entry.refresh_from_db()
    assert (entry.amount, entry.quantity, entry.unit_price) == (-12, 4, 3)


def test_a_charge_the_balance_cannot_pay_is_refused_and_changes_nothing(workspace_a):
    before = services.balance_of(workspace_a)
    with pytest.raises(services.InsufficientBalance):
        services.balance_charge(workspace=workspace_a, amount=before + 1, reason="too much")
    assert services.balance_of(workspace_a) == before
    assert LedgerEntry.objects.filter(workspace=workspace_a).count() == 1


def test_sent_emails_are_charged_even_below_zero(workspace_a, settings):
    settings.BILLING_PRICE_EMAIL = 1
    balance = services.balance_of(workspace_a)
    services.send_charge(workspace=workspace_a, count=balance + 5, reference="campaign:1")
    assert services.balance_of(workspace_a) == -5


def test_an_entry_cannot_be_edited(workspace_a):
    entry = LedgerEntry.objects.get(workspace=workspace_a)
    entry.amount = 1_000_000
    with pytest.raises(ImmutableError):
        entry.save()
    with pytest.raises(ImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)


def test_an_entry_cannot_be_deleted(workspace_a):
    entry = LedgerEntry.objects.get(workspace=workspace_a)
    with pytest.raises(ImmutableError):
        entry.delete()
    with pytest.raises(ImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def test_an_entry_past_its_seven_years_can_be_purged(workspace_a):
    import datetime

    from django.utils import timezone

    old = LedgerEntry.objects.create(
        workspace=workspace_a,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=0,
        balance_after=0,
        currency="EUR",
        reason="an old record",
        created_at=timezone.now() - datetime.timedelta(days=7 * 366),
    )
    with pytest.raises(ImmutableError):  # the recent starter credit is in the way
        LedgerEntry.objects.filter(workspace=workspace_a).delete()
    LedgerEntry.objects.filter(pk=old.pk).delete()
    assert not LedgerEntry.objects.filter(pk=old.pk).exists()


def test_the_ledger_outlives_a_deleted_workspace(workspace_a):
    workspace_id = workspace_a.pk
    workspace_a.delete()
    assert LedgerEntry.objects.filter(workspace_id=workspace_id).exists()


def test_a_manual_adjustment_needs_a_reason_and_is_audited(workspace_a, alice):
    with pytest.raises(services.BillingError):
        services.manual_adjustment(workspace=workspace_a, amount=100, reason=" ", created_by=alice)
    entry = services.manual_adjustment(
        workspace=workspace_a, amount=-100, reason="Goodwill reversal", created_by=alice
    )
    assert entry.kind == LedgerEntry.Kind.ADJUSTMENT and entry.created_by == alice
    assert workspace_a.audit_logs.filter(action="billing_adjustment").exists()


def test_the_low_balance_notice_comes_once_per_crossing(
    workspace_a, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    account = services.account_for(workspace_a)
    services.account_settings_update(
        account=account,
        low_balance_threshold=account.balance - 10,
        resume_after_topup=True,
        billing_name="",
        billing_address="",
        vat_id="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            services.balance_charge(workspace=workspace_a, amount=5, reason="use")
    low = Notification.objects.filter(title__icontains="running low")
    assert low.count() == 2  # alice and bob, once each
    assert len([m for m in mailoutbox if "running low" in m.subject]) == 1
    services.balance_credit(workspace=workspace_a, amount=100, reason="top-up")
    services.balance_charge(workspace=workspace_a, amount=100, reason="use")
    assert low.count() == 4  # a second crossing, a second notice


def test_the_empty_balance_notice_comes_once(workspace_a, alice, settings):
    settings.BILLING_PRICE_EMAIL = 1
    balance = services.balance_of(workspace_a)
    services.send_charge(workspace=workspace_a, count=balance, reference="c")
    services.send_charge(workspace=workspace_a, count=3, reference="c")
    titles = list(Notification.objects.values_list("title", flat=True))
    assert titles.count("Your balance is used up") == 1
    assert not services.can_send(workspace_a)


movements = st.lists(
    st.tuples(st.sampled_from(["credit", "charge", "send", "strict"]), st.integers(1, 10_000)),
    max_size=25,
)


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(movements)
def test_the_cached_balance_always_equals_the_sum_of_the_ledger(workspace_a, moves):
    for what, amount in moves:
        if what == "credit":
            services.balance_credit(workspace=workspace_a, amount=amount, reason="in")
        elif what == "charge":
            services.balance_charge(
                workspace=workspace_a, amount=amount, reason="out", allow_negative=True
            )
        elif what == "send":
            services.send_charge(workspace=workspace_a, count=amount % 50 + 1, reference="c")
        else:
            with contextlib.suppress(services.InsufficientBalance):
                services.balance_charge(workspace=workspace_a, amount=amount, reason="strict")
    account = BillingAccount.objects.get(workspace=workspace_a)
    assert account.balance == LedgerEntry.objects.filter(workspace=workspace_a).balance()
    last = LedgerEntry.objects.filter(workspace=workspace_a).first()
    assert last.balance_after == account.balance
    assert services.balance_audit() == []


def test_the_database_refuses_to_change_an_entry(workspace_a):
    from django.db import DatabaseError, connection, transaction

    entry = LedgerEntry.objects.get(workspace=workspace_a)
    table = LedgerEntry._meta.db_table
    statements = [f"UPDATE {table} SET amount = 1 WHERE id = %s"]
    if connection.vendor == "postgresql":  # (SQLite's test flush deletes rows: no trigger there)
        statements.append(f"DELETE FROM {table} WHERE id = %s")
    for sql in statements:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == entry.amount


def test_deleting_the_person_who_made_an_entry_keeps_it_without_them(workspace_a, alice):
    entry = services.manual_adjustment(
        workspace=workspace_a, amount=5, reason="Goodwill", created_by=alice
    )
    alice.delete()
    entry = LedgerEntry.objects.get(pk=entry.pk)
    assert entry.created_by is None and entry.amount == 5
