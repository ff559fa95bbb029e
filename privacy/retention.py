"""The retention registry: how long each kind of data is kept, and what happens after (DESIGN §5.7).

This module is the one place the periods live. The purge (`privacy/purge.py`, daily by beat)
enforces them, the privacy policy page and `docs/PRIVACY.md` print them, and the boundary tests
seed rows around each of them. Models are named by label, so `privacy` imports no app; a rule
whose model is not installed (yet) is skipped.

A row expires once the date it counts from lies before the **cutoff**: the start of today
(UTC) minus the period. A send log written on 3 March 2025 is kept through 3 March 2026 and
goes on the next purge after that.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

DELETE = "delete"  # the row goes (and, in batches, every row that cascades from it)
REDACT = "redact"  # the row stays, the named fields are blanked: other records need it
ERASE = "erase"  # a closed workspace or account: its data goes, what the law keeps stays


@dataclass(frozen=True)
class Period:
    years: int = 0
    months: int = 0
    days: int = 0

    def cutoff(self, now: datetime.datetime | None = None) -> datetime.datetime:
        """Rows dated before this have outlived the period."""
        now = now or timezone.now()
        today = now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - relativedelta(years=self.years, months=self.months, days=self.days)

    def __str__(self) -> str:
        parts = []
        if self.years:
            parts.append(ngettext("%(n)d year", "%(n)d years", self.years) % {"n": self.years})
        if self.months:
            parts.append(ngettext("%(n)d month", "%(n)d months", self.months) % {"n": self.months})
        if not parts and not self.days:
            return "—"  # gone as soon as the date passes
        if self.days:
            parts.append(ngettext("%(n)d day", "%(n)d days", self.days) % {"n": self.days})
        return " ".join(parts)


@dataclass(frozen=True)
class Rule:
    key: str
    model: str  # "app_label.ModelName"
    data: str  # what the policy page calls it
    counts_from: str  # what the policy page says the period counts from
    period: Period
    action: str = DELETE
    # The date the period counts from: a field of the model…
    date_field: str | None = None
    # …or, when no one column says it, a function (queryset, cutoff) -> the expired rows.
    expired: Callable[[models.QuerySet, datetime.datetime], models.QuerySet] | None = None
    # Only rows matching this are governed by the rule (e.g. finished imports).
    only: Q = field(default_factory=Q)
    # REDACT: field -> the value it gets. ERASE: how the row is pseudonymised instead of
    # deleted while a record that survives erasure still points at it. A callable gets the pk.
    redact: dict = field(default_factory=dict)
    # Rows of this model stay when their workspace or account is erased (e.g. the ledger):
    # this rule alone decides when they go.
    survives_erasure: bool = False
    # Shown on the policy page (technical rules such as pending tracking hits are not).
    public: bool = True

    @property
    def installed(self) -> bool:
        app_label, _sep, _name = self.model.partition(".")
        if not apps.is_installed(app_label) and app_label not in {
            c.label for c in apps.get_app_configs()
        }:
            return False
        try:
            apps.get_model(self.model)
        except LookupError:
            return False
        return True

    def get_model(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def cutoff(self, now: datetime.datetime | None = None) -> datetime.datetime:
        return self.period.cutoff(now)

    def expired_queryset(self, cutoff: datetime.datetime) -> models.QuerySet:
        qs = self.get_model()._default_manager.filter(self.only)
        if self.expired is not None:
            return self.expired(qs, cutoff)
        return qs.filter(**{f"{self.date_field}__lt": cutoff})


def _campaign_expired(qs: models.QuerySet, cutoff: datetime.datetime) -> models.QuerySet:
    """Campaigns whose last activity is before the cutoff.

    A campaign's last activity is the latest of: its creation, its last edit or status change
    made by a person (`updated_at`: every save through the app), its launch, the last day a
    message of it was sent, failed or bounced (its counters, `CampaignStat`, which every send
    bumps), and the last reply, auto-reply or bounce report received to one of its messages.
    Status changes Postigo makes by itself (completed, paused by the bounce limit) follow a
    send, so they are covered by the last send.
    """
    stat = apps.get_model("campaigns.CampaignStat")
    reply = apps.get_model("campaigns.Reply")
    recent_send = stat.objects.filter(campaign=OuterRef("pk"), day__gte=cutoff.date()).filter(
        Q(sent__gt=0) | Q(failed__gt=0) | Q(bounced__gt=0) | Q(returned__gt=0)
    )
    recent_reply = reply.objects.filter(
        message__enrollment__campaign=OuterRef("pk"), received_at__gte=cutoff
    )
    return (
        qs.filter(created_at__lt=cutoff, updated_at__lt=cutoff)
        .filter(Q(launched_at__isnull=True) | Q(launched_at__lt=cutoff))
        .exclude(Exists(recent_send))
        .exclude(Exists(recent_reply))
    )


RULES: tuple[Rule, ...] = (
    Rule(
        key="send_logs",
        model="smtp_accounts.SendLog",
        data=_("SMTP logs (every attempt to send: recipient, server answer)"),
        counts_from=_("the attempt"),
        period=Period(months=12),
        date_field="created_at",
    ),
    Rule(
        key="tracking_events",
        model="campaigns.Event",
        data=_("Tracking events (opens, clicks, unsubscribes, bounces, replies)"),
        counts_from=_("the event"),
        period=Period(months=12),
        date_field="created_at",
    ),
    Rule(
        key="webhook_events",
        model="api.WebhookEvent",
        data=_("Webhook events sent to your endpoints, and their delivery log"),
        counts_from=_("the event (retries end after about 28 hours)"),
        period=Period(days=30),
        date_field="created_at",
    ),
    Rule(
        key="tracking_hits",
        model="campaigns.TrackingHit",
        data=_("Opens and clicks not yet counted"),
        counts_from=_("the hit"),
        period=Period(months=12),
        date_field="at",
        public=False,
    ),
    Rule(
        key="blocked_snapshots",
        model="ai.BlockedSnapshot",
        data=_("Copies of messages the content filter blocked, for review"),
        counts_from=_("the block"),
        period=Period(months=12),
        date_field="created_at",
    ),
    Rule(
        key="campaigns",
        model="campaigns.Campaign",
        data=_(
            "Campaign data: the campaign, its steps and variants, enrollments, messages, "
            "links, opens and clicks, replies and their counters"
        ),
        counts_from=_(
            "the campaign's last activity (last message sent, reply received, edit or "
            "status change)"
        ),
        period=Period(months=24),
        expired=_campaign_expired,
    ),
    Rule(
        key="closed_workspaces",
        model="accounts.Workspace",
        data=_("A closed workspace and everything in it"),
        counts_from=_("its closure (it can be restored until then)"),
        period=Period(days=30),
        action=ERASE,
        date_field="closed_at",
        only=Q(erased_at__isnull=True),
        # Kept (pseudonymised) only while a record that survives erasure still points at it.
        redact={"name": "Erased workspace"},
    ),
    Rule(
        key="closed_accounts",
        model="accounts.User",
        data=_("A closed account (profile, memberships, notifications)"),
        counts_from=_("its closure (it can be restored until then)"),
        period=Period(days=30),
        action=ERASE,
        date_field="closed_at",
        # (An account kept pseudonymised for the ledger is not erased again every day.)
        only=Q(is_active=False) & ~Q(email__endswith="@erased.invalid"),
        redact={
            "email": lambda pk: f"erased-{pk}@erased.invalid",
            "name": "",
            "password": "!",
        },
    ),
    Rule(
        key="financial_records",
        model="billing.LedgerEntry",
        data=_("Financial records (payments, charges, receipts)"),
        counts_from=_("the transaction; kept, pseudonymised, when the account is erased"),
        period=Period(years=7),
        date_field="created_at",
        survives_erasure=True,
    ),
    Rule(
        key="audit_log",
        model="accounts.AuditLog",
        data=_("Security log (sign-ins, security changes, privacy requests, with IP address)"),
        counts_from=_("the event"),
        period=Period(months=24),
        date_field="created_at",
    ),
    Rule(
        key="notifications",
        model="accounts.Notification",
        data=_("In-app notifications"),
        counts_from=_("the notification"),
        period=Period(months=12),
        date_field="created_at",
    ),
    Rule(
        key="notification_digests",
        model="accounts.NotificationDigest",
        data=_("The days your optional daily digest was sent (so it never goes twice)"),
        counts_from=_("the digest"),
        period=Period(months=3),
        date_field="sent_at",
    ),
    Rule(
        key="sessions",
        model="sessions.Session",
        data=_("Sign-in sessions"),
        counts_from=_("deleted once expired (two weeks after the last sign-in)"),
        period=Period(days=0),
        date_field="expire_date",
    ),
    Rule(
        key="invitations",
        model="accounts.Invitation",
        data=_("Invitations to a workspace"),
        counts_from=_("their expiry"),
        period=Period(days=30),
        date_field="expires_at",
    ),
    Rule(
        key="data_exports",
        model="privacy.DataExport",
        data=_("Your data exports (the ZIP files you asked for)"),
        counts_from=_("deleted once their 7-day link has expired"),
        period=Period(days=0),
        date_field="expires_at",
    ),
    Rule(
        key="import_files",
        model="campaigns.LeadImport",
        data=_("Uploaded lead files and their row-by-row problems report"),
        counts_from=_("the end of the import (the imported leads stay)"),
        period=Period(days=30),
        action=REDACT,
        date_field="finished_at",
        only=Q(status__in=["done", "failed", "rolled_back"]),
        redact={"data": b"", "problems": [], "header": []},
    ),
)

BY_KEY = {rule.key: rule for rule in RULES}


def rules() -> list[Rule]:
    """The rules whose model is installed, in the order the purge runs them."""
    return [rule for rule in RULES if rule.installed]


def rule(key: str) -> Rule:
    return BY_KEY[key]


def public_rules() -> list[Rule]:
    """What the policy page and the docs list: the public rules this install enforces (a rule
    whose model is not installed has no data to keep, and is not promised)."""
    return [rule for rule in RULES if rule.public and rule.installed]


def protected_models() -> set[str]:
    """Labels of models whose rows outlive an erasure (lower-case, as `_meta.label_lower`)."""
    return {rule.model.lower() for rule in RULES if rule.survives_erasure}


def markdown_table(*, all_rules: bool = True) -> str:
    """The retention table of docs/PRIVACY.md (a test keeps the file equal to this)."""
    lines = [
        "| rule | data | kept for | counted from | then | model |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES if all_rules else public_rules():
        then = {DELETE: "deleted", REDACT: "emptied in place", ERASE: "erased"}[r.action]
        if r.survives_erasure:
            then += "; kept through account erasure"
        lines.append(
            f"| `{r.key}` | {r.data} | {r.period} | {r.counts_from} | {then} | `{r.model}` |"
        )
    return "\n".join(lines)
