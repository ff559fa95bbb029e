"""Sending: one enrollment per lead in a campaign, one outbound message per (enrollment, step).

The message's state machine is the at-most-once guarantee (DESIGN §5.1):
queued → sending → sent | failed | unknown, and queued ← sending only for a temporary SMTP
failure answered by the server. `sending` is committed before SMTP starts; a message found in
`sending` after a crash becomes `unknown` and is never sent again automatically.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from campaigns.models.authoring import Campaign, Step, Variant
from campaigns.models.leads import Lead
from core.tenancy import WorkspaceManager, WorkspaceQuerySet


def new_token() -> str:
    return secrets.token_urlsafe(16)


class StopReason(models.TextChoices):
    """Why an enrollment stopped (`Enrollment.stop_reason`; the stored values predate this)."""

    CAMPAIGN_STOPPED = "campaign stopped", _("Campaign stopped")
    REPLIED = "replied", _("Replied")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    REJECTED = "rejected", _("Refused by the server")
    GAVE_UP = "gave up after temporary failures", _("Gave up after temporary failures")
    SUPPRESSED = "suppressed", _("Suppressed")
    TEMPLATE_ERROR = "template error", _("Template error")
    VARIANT_DELETED = "variant deleted", _("Variant deleted")
    INTERRUPTED = "interrupted while sending", _("Interrupted while sending")


class EnrollmentQuerySet(WorkspaceQuerySet):
    def active(self) -> EnrollmentQuerySet:
        return self.filter(status=Enrollment.Status.ACTIVE)

    def stopped(self, reasons: Iterable[str] | None = None) -> EnrollmentQuerySet:
        """Stopped ones, for any of `reasons` when given."""
        stopped = self.filter(status=Enrollment.Status.STOPPED)
        return stopped if reasons is None else stopped.filter(stop_reason__in=list(reasons))

    def interrupted(self) -> EnrollmentQuerySet:
        return self.stopped([StopReason.INTERRUPTED])


class OutboundMessageQuerySet(WorkspaceQuerySet):
    def queued(self) -> OutboundMessageQuerySet:
        """Not handed to SMTP yet (a retry waiting included)."""
        return self.filter(state=OutboundMessage.State.QUEUED)

    def answerable(self) -> OutboundMessageQuerySet:
        """Went out, or may have: what a reply, a bounce or a click can be about."""
        return self.filter(state__in=OutboundMessage.ANSWERABLE)


class Enrollment(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    # No index of their own for campaign and mailbox: the unique (campaign, lead) and the
    # (mailbox, status, next_due_at) index start with them. Every index is written on every
    # row change; these tables change with every message.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="enrollments")
    mailbox = models.ForeignKey(
        "smtp_accounts.Mailbox",
        null=True,
        on_delete=models.SET_NULL,
        related_name="enrollments",
        db_index=False,
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    stop_reason = models.CharField(max_length=40, blank=True)
    next_step = models.PositiveSmallIntegerField(default=1)  # position of the step due next
    # When the next step is due; None while a message is in flight or when finished.
    next_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = EnrollmentQuerySet.as_manager()
    workspace_path = "campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "lead"], name="enrollment_unique_lead")
        ]
        indexes = [models.Index(fields=["mailbox", "status", "next_due_at"])]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.campaign_id}: {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def was_interrupted(self) -> bool:
        """Stopped because a send was interrupted: the user may let it go on."""
        return self.status == self.Status.STOPPED and self.stop_reason == StopReason.INTERRUPTED


class OutboundMessage(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown (interrupted while sending)")

    ANSWERABLE = (State.SENT, State.UNKNOWN)

    # enrollment: the unique (enrollment, step) serves its lookups; token and message_id are
    # indexed in Meta (a field's own unique/db_index adds a second, LIKE-only index on
    # PostgreSQL; they are only ever compared whole).
    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="messages")
    variant = models.ForeignKey(Variant, null=True, on_delete=models.SET_NULL, related_name="+")
    mailbox = models.ForeignKey(
        "smtp_accounts.Mailbox", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State, default=State.QUEUED)
    token = models.CharField(max_length=32, default=new_token)
    recipient = models.EmailField(max_length=254)
    message_id = models.CharField(max_length=255, blank=True)  # replies match it
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    subject = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    smtp_code = models.IntegerField(null=True, blank=True)
    smtp_response = models.TextField(blank=True)
    queued_at = models.DateTimeField(default=now)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The first human open / click and the first reply: what the counters count once.
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundMessageQuerySet.as_manager()
    workspace_path = "enrollment__campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step"], name="outbound_once_per_enrollment_step"
            ),
            models.UniqueConstraint(fields=["token"], name="outbound_token_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "sending_at"]),
            models.Index(fields=["message_id"], name="outbound_message_id"),
            # The dispatcher's due retries per mailbox: only queued rows, never the history.
            models.Index(
                fields=["mailbox", "next_attempt_at"],
                condition=models.Q(state="queued"),
                name="outbound_retry_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} step {self.step_id}: {self.state}"

    @property
    def went_out(self) -> bool:
        """Sent, or maybe (`unknown`: interrupted while the server had it)."""
        return self.state in self.ANSWERABLE

    @property
    def handed_over_at(self):
        """When it went to the server: sent, or claimed for an `unknown` one."""
        return self.sent_at or self.sending_at

    def may_retry(self, now, *, attempts_at_most: int, within) -> bool:
        """After a temporary failure: another attempt, unless it has had its share or has
        waited too long since it was queued."""
        return self.attempts < attempts_at_most and now - self.queued_at <= within

    def retry_backoff(self):
        """5 minutes after the first attempt, doubling each time."""
        return datetime.timedelta(minutes=5 * 2 ** (self.attempts - 1))


class CampaignDay(models.Model):
    """New leads (first steps) a campaign queued on one of its local days: the daily cap's
    counter, kept in the dispatcher's claim transaction (row-locked, then incremented) so the
    cap is exact under concurrent claims and reading it costs one row whatever the history."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()  # in the campaign's time zone
    new_leads = models.PositiveIntegerField(default=0)

    objects = WorkspaceManager()
    workspace_path = "campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="campaign_day_unique")
        ]

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} on {self.day}: {self.new_leads}"


class TrackedLink(models.Model):
    """A link of one sent message; a click redirects only to a URL stored here."""

    message = models.ForeignKey(  # the unique (message, position) serves its lookups
        OutboundMessage, on_delete=models.CASCADE, related_name="links", db_index=False
    )
    position = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=2000)

    objects = WorkspaceManager()
    workspace_path = "message__enrollment__campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "position"], name="tracked_link_unique")
        ]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        CLICK = "click", _("Click")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
        BOUNCE = "bounce", _("Bounce")
        REPLY = "reply", _("Reply")

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind)
    machine = models.BooleanField(default=False)  # proxies, privacy protection, scanners
    link = models.ForeignKey(TrackedLink, null=True, blank=True, on_delete=models.SET_NULL)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)
    # The tracking hit this event was made from: recording a hit twice adds nothing. NULL for
    # the events that come from no hit (replies, bounces): NULLs never clash in the unique.
    hit_id = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001

    objects = WorkspaceManager()
    workspace_path = "message__enrollment__campaign__workspace"

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hit_id"], name="event_hit_unique")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.message_id}"


class TrackingHit(models.Model):
    """An open or click waiting to become an `Event`, when the Redis buffer is not there.

    The embedded install has no Redis, and a production Redis can restart: then the request
    path writes this one row, with no lookup, and the flush task turns it into an event.
    """

    kind = models.CharField(max_length=1)  # "o" open, "c" click
    token = models.CharField(max_length=32)
    link_id = models.BigIntegerField(null=True)
    user_agent = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} {self.token}"
