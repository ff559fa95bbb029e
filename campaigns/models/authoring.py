"""Campaigns and their sequence: steps and A/B variants."""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from campaigns.models.leads import LeadList
from core.tenancy import WorkspaceManager

WEEKDAYS = (
    ("0", _("Mon")),
    ("1", _("Tue")),
    ("2", _("Wed")),
    ("3", _("Thu")),
    ("4", _("Fri")),
    ("5", _("Sat")),
    ("6", _("Sun")),
)
DEFAULT_FOOTER = (
    '<p>Not interested? <a href="{{unsubscribe_url}}">Unsubscribe</a> '
    "and I will not write again.</p>"
)


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        ARCHIVED = "archived", _("Archived")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    lead_lists = models.ManyToManyField(LeadList, blank=True, related_name="campaigns")
    mailboxes = models.ManyToManyField(
        "smtp_accounts.Mailbox", blank=True, related_name="campaigns"
    )
    # Schedule: when mail may go out, in the campaign's time zone.
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    send_days = models.CharField(_("sending days"), max_length=7, default="01234")
    window_start = models.TimeField(_("from"), default=datetime.time(9, 0))
    window_end = models.TimeField(_("until"), default=datetime.time(17, 0))
    lead_time_zones = models.BooleanField(
        _("send in each lead's own time zone when it is known"), default=False
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    daily_cap = models.PositiveIntegerField(_("new leads per day"), default=50)
    # First emails start at random moments over this long after launch (the schedule's window
    # permitting), so the sends do not start in lockstep; the demo campaign starts in seconds.
    launch_spread_seconds = models.PositiveIntegerField(default=3600)
    track_opens = models.BooleanField(_("track opens"), default=True)
    track_clicks = models.BooleanField(_("track clicks"), default=False)
    stop_on_reply = models.BooleanField(_("stop a lead's sequence when they reply"), default=True)
    stop_company_on_reply = models.BooleanField(
        _("stop everyone at the same company domain when one replies"), default=False
    )
    allow_overlap = models.BooleanField(
        _("also enroll leads who are in another running campaign"), default=False
    )
    auto_reply_is_reply = models.BooleanField(
        _("treat auto-replies (out of office) as replies"), default=False
    )
    unsubscribe_footer = models.TextField(_("unsubscribe footer"), default=DEFAULT_FOOTER)
    bounce_limit = models.PositiveSmallIntegerField(
        _("pause when more than this % of emails bounce"),
        default=5,
        validators=[MaxValueValidator(100)],
        help_text=_("Counted once 50 emails have gone out since launch or resume; 0 never pauses."),
    )
    paused_reason = models.CharField(max_length=300, blank=True)  # set when Postigo paused it
    # Held for review by the content filter (ai): no launch or resume until an operator decides.
    held_at = models.DateTimeField(null=True, blank=True)
    # The counters' totals when the campaign was last resumed: the bounce limit counts from there.
    bounce_count_tried_before = models.PositiveIntegerField(default=0)
    bounce_count_bounced_before = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    # Archived: out of the campaign list (a filter shows it), its status and numbers kept.
    archived_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def can_archive(self) -> bool:
        """Only what sends nothing any more: a draft, or a campaign stopped or finished."""
        return not self.is_archived and self.status in (self.Status.DRAFT, self.Status.COMPLETED)

    @property
    def can_delete(self) -> bool:
        """Only a draft: a campaign that has sent keeps its history (archive it instead)."""
        return self.status == self.Status.DRAFT and self.launched_at is None

    @property
    def editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.PAUSED)


class Step(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    delay_days = models.PositiveSmallIntegerField(_("wait days"), default=3)
    delay_hours = models.PositiveSmallIntegerField(_("and hours"), default=0)
    # Follow-ups may go as replies in the first email's thread ("Re: <its subject>").
    in_thread = models.BooleanField(_("send as a reply in the same thread"), default=True)

    objects = WorkspaceManager()
    workspace_path = "campaign__workspace"

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "position"], name="step_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · step {self.position}"

    @property
    def is_first(self) -> bool:
        return self.position == 1

    @property
    def wait(self) -> datetime.timedelta:
        """How long after the previous step's send this one is due."""
        return datetime.timedelta(days=self.delay_days, hours=self.delay_hours)


class Variant(models.Model):
    """One version of a step's email; several make an A/B(/C…) test, chosen by weight."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="variants")
    label = models.CharField(max_length=2, default="A")
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    body_html = models.TextField(_("body"), blank=True)
    body_text = models.TextField(_("plain-text body"), blank=True)
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    objects = WorkspaceManager()
    workspace_path = "step__campaign__workspace"

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["step", "label"], name="variant_unique_label")
        ]

    def __str__(self) -> str:
        return f"{self.step} · {self.label}"
