"""Every retention rule at its boundary: rows dated the day before the cutoff go; the day of and
the day after stay; rows another rule still protects stay. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime
import secrets

import pytest
from dateutil.relativedelta import relativedelta
from django.contrib.sessions.models import Session
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import (
    AuditLog,
    Invitation,
    Membership,
    Notification,
    NotificationDigest,
    User,
    Workspace,
)
from campaigns.models import (
    Campaign,
    CampaignStat,
    Enrollment,
    Event,
    Lead,
    LeadImport,
    LeadList,
    OutboundMessage,
    Reply,
    Step,
    Suppression,
    TrackedLink,
    TrackingHit,
    Variant,
)
from privacy import retention
from privacy.models import DataExport, PurgeRun
from privacy.purge import purge_rule
from smtp_accounts.models import Mailbox, SendLog
from tests.privacy.factories import EXPIRED, NOW, around, erased, make_campaign

pytestmark = pytest.mark.django_db


def seed_send_log(ctx, at):
    return SendLog.objects.create(
        mailbox=ctx.message.mailbox, recipient="x@example.com", outcome="sent", created_at=at
    )


def seed_event(ctx, at):
    return Event.objects.create(message=ctx.message, kind="click", created_at=at)


def seed_hit(ctx, at):
    return TrackingHit.objects.create(kind="o", token=secrets.token_urlsafe(8), at=at)


def seed_audit(ctx, at):
    return AuditLog.objects.create(
        workspace=ctx.workspace,
        user=ctx.user,
        action="login",
        ip_address="203.0.113.9",
        created_at=at,
    )


def seed_notification(ctx, at):
    return Notification.objects.create(
        workspace=ctx.workspace, user=ctx.user, title="A reply arrived", created_at=at
    )


def seed_notification_digest(ctx, at):
    taken = NotificationDigest.objects.filter(user=ctx.user).count()  # one row per day
    day = datetime.date(2020, 1, 1) + datetime.timedelta(days=taken)
    return NotificationDigest.objects.create(user=ctx.user, day=day, sent_at=at)


def seed_session(ctx, at):
    return Session.objects.create(
        session_key=secrets.token_hex(16), session_data="e30:", expire_date=at
    )


def seed_invitation(ctx, at):
    return Invitation.objects.create(
        workspace=ctx.workspace, email="new@example.com", expires_at=at
    )


def seed_webhook_event(ctx, at):
    from api.models import WebhookEvent

    return WebhookEvent.objects.create(
        workspace=ctx.workspace,
        type="email.sent",
        data={"recipient": "x@example.com"},
        created_at=at,
    )


def seed_export(ctx, at):
    return DataExport.objects.create(user=ctx.user, status="ready", expires_at=at)


def seed_ledger_entry(ctx, at):
    from billing.models import LedgerEntry

    return LedgerEntry.objects.create(
        workspace=ctx.workspace,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=0,
        balance_after=0,
        currency="EUR",
        reason="a record",
        created_at=at,
    )


def seed_blocked_snapshot(ctx, at):
    from ai.models import BlockedSnapshot

    return BlockedSnapshot.objects.create(
        workspace=ctx.workspace, stage="launch", subject="Verify your account",
        provider="local", content_hash=secrets.token_hex(8), created_at=at,
    )  # fmt: skip


SIMPLE = {
    "data_exports": seed_export,
    "financial_records": seed_ledger_entry,
    "send_logs": seed_send_log,
    "tracking_events": seed_event,
    "tracking_hits": seed_hit,
    "webhook_events": seed_webhook_event,
    "audit_log": seed_audit,
    "notifications": seed_notification,
    "notification_digests": seed_notification_digest,
    "sessions": seed_session,
    "invitations": seed_invitation,
    "blocked_snapshots": seed_blocked_snapshot,
}


class Ctx:
    def __init__(self, workspace, user, message):
        self.workspace, self.user, self.message = workspace, user, message


@pytest.fixture
def ctx(workspace_a, alice, live_message):
    return Ctx(workspace_a, alice, live_message)


def test_every_installed_rule_has_a_boundary_test_here():
    tested = set(SIMPLE) | {"campaigns", "closed_workspaces", "closed_accounts", "import_files"}
    assert {rule.key for rule in retention.rules()} <= tested


@pytest.mark.parametrize("key", sorted(SIMPLE))
def test_a_rule_deletes_exactly_the_rows_dated_before_its_cutoff(key, ctx):
    rule = retention.rule(key)
    rows = {name: SIMPLE[key](ctx, at).pk for name, at in around(rule.cutoff(NOW)).items()}
    model = rule.get_model()
    before = model.objects.count()

    run = purge_rule(key=key, now=NOW)

    left = set(model.objects.filter(pk__in=rows.values()).values_list("pk", flat=True))
    assert {name for name, pk in rows.items() if pk not in left} == EXPIRED
    assert model.objects.count() == before - len(EXPIRED)
    assert (run.status, run.deleted) == (PurgeRun.Status.DONE, len(EXPIRED))


def test_the_cutoff_is_the_period_counted_back_from_the_start_of_today():
    assert retention.rule("send_logs").cutoff(NOW).isoformat() == "2025-06-15T00:00:00+00:00"
    assert retention.rule("campaigns").cutoff(NOW).isoformat() == "2024-06-15T00:00:00+00:00"
    assert retention.rule("closed_accounts").cutoff(NOW).isoformat() == "2026-05-16T00:00:00+00:00"
    assert retention.rule("sessions").cutoff(NOW).isoformat() == "2026-06-15T00:00:00+00:00"


def test_a_dry_run_counts_what_would_go_and_deletes_nothing(ctx):
    for at in around(retention.rule("send_logs").cutoff(NOW)).values():
        seed_send_log(ctx, at)
    before = SendLog.objects.count()

    run = purge_rule(key="send_logs", now=NOW, dry_run=True)

    assert (run.dry_run, run.deleted) == (True, 2)
    assert SendLog.objects.count() == before


def test_old_events_of_a_live_campaign_go_but_its_messages_and_counters_stay(ctx):
    old = timezone.now().replace(year=timezone.now().year - 2)
    Event.objects.create(message=ctx.message, kind="open", created_at=old)

    purge_rule(key="tracking_events")

    assert not Event.objects.filter(created_at=old).exists()
    assert OutboundMessage.objects.filter(pk=ctx.message.pk).exists()
    assert CampaignStat.objects.filter(campaign=ctx.message.enrollment.campaign).exists()


def test_an_old_send_log_goes_while_its_mailbox_stays(ctx):
    old = timezone.now().replace(year=timezone.now().year - 2)
    log = seed_send_log(ctx, old)

    purge_rule(key="send_logs")

    assert not SendLog.objects.filter(pk=log.pk).exists()
    assert Mailbox.objects.filter(pk=ctx.message.mailbox_id).exists()


# --- Campaign data: 24 months after the last activity ------------------------------------------

CAMPAIGN_ROWS = (
    Step,
    Variant,
    Enrollment,
    OutboundMessage,
    TrackedLink,
    Event,
    Reply,
    CampaignStat,
)


def test_a_campaign_goes_with_all_its_rows_24_months_after_its_last_activity(workspace_a):
    cutoff = retention.rule("campaigns").cutoff(NOW)
    campaigns = {name: make_campaign(workspace_a, at=at) for name, at in around(cutoff).items()}

    run = purge_rule(key="campaigns", now=NOW)

    gone = {n for n, c in campaigns.items() if not Campaign.objects.filter(pk=c.pk).exists()}
    assert gone == EXPIRED
    for name, campaign in campaigns.items():
        counts = [
            m.objects.for_workspace(workspace_a)
            .filter(**{_campaign_lookup(m): campaign.pk})
            .count()
            for m in CAMPAIGN_ROWS
        ]
        assert (sum(counts) == 0) == (name in EXPIRED), (name, counts)
    assert run.deleted == 2 and run.cascaded > 2 * len(CAMPAIGN_ROWS)
    # What is not campaign data stays: the leads, their lists, the mailbox and its send logs.
    assert Lead.objects.count() == len(campaigns)
    assert SendLog.objects.count() == len(campaigns)


def _campaign_lookup(model) -> str:
    return model.workspace_path.removesuffix("__workspace")


@pytest.mark.parametrize("activity", ["edit", "launch", "send", "reply"])
def test_any_recent_activity_keeps_an_old_campaign(activity, workspace_a):
    cutoff = retention.rule("campaigns").cutoff(NOW)
    campaign = make_campaign(workspace_a, at=cutoff.replace(year=cutoff.year - 1))
    recent = cutoff + timezone.timedelta(hours=1)
    if activity == "edit":
        Campaign.objects.filter(pk=campaign.pk).update(updated_at=recent)
    elif activity == "launch":
        Campaign.objects.filter(pk=campaign.pk).update(launched_at=recent)
    elif activity == "send":
        CampaignStat.objects.create(campaign=campaign, day=recent.date(), mailbox_id=1, sent=1)
    else:
        Reply.objects.create(
            message=campaign.message, kind="reply", fingerprint="late", received_at=recent
        )

    purge_rule(key="campaigns", now=NOW)

    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert OutboundMessage.objects.filter(pk=campaign.message.pk).exists()


def test_an_open_alone_is_not_activity(workspace_a):
    cutoff = retention.rule("campaigns").cutoff(NOW)
    campaign = make_campaign(workspace_a, at=cutoff.replace(year=cutoff.year - 1))
    CampaignStat.objects.create(
        campaign=campaign, day=(cutoff + timezone.timedelta(days=3)).date(), opened=1
    )

    purge_rule(key="campaigns", now=NOW)

    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_campaign_purge_resumes_where_a_dead_run_stopped(workspace_a, settings):
    settings.PRIVACY_PURGE_BATCH_SIZE = 100  # one campaign per batch
    cutoff = retention.rule("campaigns").cutoff(NOW)
    old = [make_campaign(workspace_a, at=cutoff - timezone.timedelta(days=40)) for _ in range(3)]
    # A run that died after the first campaign: its checkpoint says where it was.
    PurgeRun.objects.create(rule="campaigns", cutoff=cutoff, last_pk=old[0].pk)
    Campaign.objects.filter(pk=old[0].pk).delete()

    run = purge_rule(key="campaigns", now=NOW)

    assert run.deleted == 2
    assert run.last_pk == old[2].pk
    assert PurgeRun.objects.filter(rule="campaigns").count() == 1
    assert not Campaign.objects.exists()


# --- Closed workspaces and accounts: 30 days ------------------------------------------------------


def test_a_closed_workspace_is_erased_30_days_after_closure(workspace_a, alice, charlie):
    cutoff = retention.rule("closed_workspaces").cutoff(NOW)
    workspaces = {}
    for name, at in around(cutoff).items():
        ws = Workspace.objects.create(name=f"Closed {name}", closed_at=at)
        Membership.objects.create(workspace=ws, user=alice, role="owner")
        make_campaign(ws, at=timezone.now(), recipient=f"{name}@example.com")
        Suppression.objects.create(workspace=ws, value=f"{name}@example.com")
        workspaces[name] = ws
    open_campaign = make_campaign(workspace_a, at=timezone.now())

    run = purge_rule(key="closed_workspaces", now=NOW)

    gone = {n for n, ws in workspaces.items() if erased(ws.pk)}
    assert gone == EXPIRED
    for name in EXPIRED:
        assert not Lead.objects.filter(email=f"{name}@example.com").exists()
        assert not Suppression.objects.filter(value=f"{name}@example.com").exists()
        assert not OutboundMessage.objects.filter(recipient=f"{name}@example.com").exists()
    assert run.deleted + run.redacted == 2  # a workspace with a ledger is kept, pseudonymised
    # Open workspaces and the people in them are untouched.
    assert Campaign.objects.filter(pk=open_campaign.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()
    assert Membership.objects.filter(workspace=workspace_a, user=alice).exists()


def test_a_closed_account_is_erased_30_days_after_closure(workspace_a, alice):
    cutoff = retention.rule("closed_accounts").cutoff(NOW)
    users = {}
    for name, at in around(cutoff).items():
        user = User.objects.create_user(f"{name}@example.com", is_active=False, closed_at=at)
        Notification.objects.create(workspace=workspace_a, user=user, title="Hello")
        users[name] = user
    # Inactive but never closed (an operator's deactivation): not this rule's business.
    blocked = User.objects.create_user("blocked@example.com", is_active=False)
    login = AuditLog.objects.create(user=users["day_before"], action="login")

    purge_rule(key="closed_accounts", now=NOW)

    gone = {n for n, u in users.items() if not User.objects.filter(pk=u.pk).exists()}
    assert gone == EXPIRED
    assert User.objects.filter(pk=blocked.pk).exists()
    assert Notification.objects.filter(user__in=[users["day_of"]]).exists()
    login.refresh_from_db()  # the security log keeps the event, no longer tied to the person
    assert login.user_id is None


# --- Finished import files: 30 days, redacted in place -------------------------------------------


def test_a_finished_import_file_is_emptied_30_days_after_the_import(workspace_a):
    cutoff = retention.rule("import_files").cutoff(NOW)
    lead_list = LeadList.objects.create(workspace=workspace_a, name="Imported")
    imports = {}
    for name, at in around(cutoff).items():
        imports[name] = LeadImport.objects.create(
            workspace=workspace_a,
            lead_list=lead_list,
            filename=f"{name}.csv",
            data=b"email\nlena@example.com\n",
            encoding="utf-8",
            delimiter=",",
            header=["email"],
            problems=[{"row": 2, "reason": "lena@example.com is suppressed"}],
            status="done",
            total_rows=1,
            finished_at=at,
        )
    running = LeadImport.objects.create(
        workspace=workspace_a,
        lead_list=lead_list,
        filename="running.csv",
        data=b"email\n",
        encoding="utf-8",
        delimiter=",",
        header=["email"],
        status="running",
        started_at=cutoff.replace(year=cutoff.year - 1),
    )

    run = purge_rule(key="import_files", now=NOW)
    again = purge_rule(key="import_files", now=NOW)

    emptied = set()
    for name, lead_import in imports.items():
        lead_import.refresh_from_db()
        assert lead_import.filename == f"{name}.csv"  # the record of the import stays
        if bytes(lead_import.data) == b"" and lead_import.problems == []:
            emptied.add(name)
    assert emptied == EXPIRED
    assert (run.redacted, again.redacted) == (2, 0)
    running.refresh_from_db()
    assert bytes(running.data) == b"email\n"


def test_rows_kept_through_erasure_keep_their_workspace_pseudonymised(workspace_a):
    """What the ledger's rule (financial_records, survives_erasure) does to a purged workspace,
    shown with the audit log standing in for the ledger (billing is not installed here)."""
    from privacy.purge import cascade_plan, erase_rows

    rule = retention.rule("closed_workspaces")
    cutoff = rule.cutoff(NOW)
    Workspace.objects.filter(pk=workspace_a.pk).update(
        closed_at=cutoff - timezone.timedelta(days=2)
    )
    make_campaign(workspace_a, at=timezone.now(), recipient="kept@example.com")
    record = AuditLog.objects.create(workspace=workspace_a, action="login")
    plan = cascade_plan(Workspace, protected={"accounts.auditlog"})
    assert AuditLog in [model for model, _lookup in plan.protected]
    run = PurgeRun.objects.create(rule=rule.key, cutoff=cutoff)

    erase_rows(rule, plan, rule.expired_queryset(cutoff), run)

    workspace_a.refresh_from_db()
    assert (workspace_a.name, run.redacted, run.deleted) == ("Erased workspace", 1, 0)
    assert workspace_a.erased_at is not None
    assert AuditLog.objects.filter(pk=record.pk, workspace=workspace_a).exists()
    assert not Lead.objects.filter(workspace=workspace_a).exists()
    assert not Campaign.objects.filter(workspace=workspace_a).exists()
    # Erased once: the rule no longer picks it up.
    assert not rule.expired_queryset(cutoff).filter(pk=workspace_a.pk).exists()


def test_the_ledger_rule_survives_erasure_and_is_kept_7_years():
    rule = retention.rule("financial_records")
    assert rule.survives_erasure and str(rule.period) == "7 years"
    assert "billing.ledgerentry" in retention.protected_models()


@given(
    now=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1),
        max_value=datetime.datetime(2100, 1, 1),
        timezones=st.just(datetime.UTC),
    ),
    later=st.timedeltas(min_value=datetime.timedelta(0), max_value=datetime.timedelta(days=800)),
    key=st.sampled_from([rule.key for rule in retention.RULES]),
)
def test_a_cutoff_is_a_utc_midnight_that_only_moves_forward_and_keeps_the_whole_period(
    now, later, key
):
    period = retention.rule(key).period
    cutoff = period.cutoff(now)
    assert (cutoff.hour, cutoff.minute, cutoff.second, cutoff.microsecond) == (0, 0, 0, 0)
    assert period.cutoff(now + later) >= cutoff  # what expired never comes back
    # Nothing younger than the full period is ever expired.
    back = relativedelta(years=period.years, months=period.months, days=period.days)
    assert cutoff <= now - back
    assert now - back - cutoff < datetime.timedelta(days=1)


def test_a_purged_workspaces_ledger_stays_with_the_workspace_pseudonymised(workspace_a):
    from billing.models import LedgerEntry
    from billing.services import balance_charge, balance_credit

    balance_credit(workspace=workspace_a, amount=5000, reason="top-up")
    balance_charge(workspace=workspace_a, amount=120, reason="120 emails")
    entries = set(LedgerEntry.objects.filter(workspace=workspace_a).values_list("pk", "amount"))
    make_campaign(workspace_a, at=timezone.now(), recipient="kept@example.com")
    cutoff = retention.rule("closed_workspaces").cutoff(NOW)
    Workspace.objects.filter(pk=workspace_a.pk).update(closed_at=cutoff - relativedelta(days=1))

    purge_rule(key="closed_workspaces", now=NOW)

    workspace_a.refresh_from_db()
    assert workspace_a.name == "Erased workspace" and workspace_a.erased_at is not None
    assert not Campaign.objects.filter(workspace=workspace_a).exists()
    # The financial records stay (7 years), every entry as it was.
    assert (
        set(LedgerEntry.objects.filter(workspace=workspace_a).values_list("pk", "amount"))
        == entries
    )
