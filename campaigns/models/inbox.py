"""What comes back to a sending mailbox about a campaign message: replies, auto-replies, bounces."""

from __future__ import annotations

from django.db import models
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ai.labels import ReplyLabel
from campaigns.authoring.content import received_html
from campaigns.models.sending import OutboundMessage
from core.tenancy import WorkspaceManager


class Reply(models.Model):
    Label = ReplyLabel  # the seven built in, declared once in ai/labels.py

    class Failure(models.TextChoices):
        RECIPIENT = "recipient", _("The recipient's address")
        TEMPORARY = "temporary", _("Temporary")
        SENDER = "sender", _("Refused the sender")

    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        AUTO_REPLY = "auto_reply", _("Auto-reply")
        BOUNCE = "bounce", _("Bounce")
        COMPLAINT = "complaint", _("Spam complaint")

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(max_length=12, choices=Kind)
    # The incoming mail's Message-ID (or a hash of it when it has none): the same mail read twice,
    # or from two folders, is one reply.
    fingerprint = models.CharField(max_length=64)
    header_message_id = models.CharField(max_length=255, blank=True)  # to answer it in-thread
    received_at = models.DateTimeField()
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.TextField(blank=True)
    text = models.TextField(blank=True)  # the new text, quoted history and signature removed
    html = models.TextField(blank=True)  # sanitised for display
    permanent = models.BooleanField(default=False)  # for bounces: a permanent failure
    # For bounces: whose fault it is and why (campaigns/inbox/failure_kinds.py), and the enhanced
    # status code the report gave. Only recipient-side failures suppress the lead.
    failure = models.CharField(max_length=12, choices=Failure, blank=True)
    failure_cause = models.CharField(max_length=20, blank=True)
    status_code = models.CharField(max_length=12, blank=True)
    # One of Label, or a workspace's custom label (ai.CustomLabel), given by the AI refinement.
    label = models.CharField(max_length=20, choices=Label, blank=True)
    labelled_by_user = models.BooleanField(default=False)  # a person's label: classifier feedback
    # Who gave `label`: "" (the offline rules at receive time) or the AI provider that refined
    # it, with its confidence and one-line reason. A person's relabel always wins.
    label_provider = models.CharField(max_length=10, blank=True)
    label_confidence = models.FloatField(null=True, blank=True)
    label_reason = models.CharField(max_length=200, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()
    workspace_path = "message__enrollment__campaign__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "fingerprint"], name="reply_once")
        ]
        indexes = [models.Index(fields=["kind", "received_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.message_id}"

    @property
    def failure_summary(self) -> str:
        """A bounce's side and cause in words: "refused the sender: blocklisted"."""
        from campaigns.inbox.failure_kinds import cause_label

        if not self.failure:
            return _("permanent") if self.permanent else _("temporary")
        side = self.get_failure_display().lower()
        return f"{side}: {cause_label(self.failure_cause)}" if self.failure_cause else side

    @property
    def sender_fix(self) -> str:
        """For a refusal of the sender: what to fix."""
        from campaigns.inbox.failure_kinds import FIXES, Cause

        if self.failure != self.Failure.SENDER:
            return ""
        return str(FIXES.get(self.failure_cause, FIXES[Cause.POLICY]))

    @property
    def display_html(self) -> str:
        """The formatted original for the thread view (authoring/content.py: received_html)."""
        return mark_safe(received_html(self.html))  # sanitised by nh3 just now


class SentReply(models.Model):
    """An answer written in the inbox and sent through the campaign's mailbox, in the thread."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="answers")
    sent_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    to = models.CharField(max_length=254)
    subject = models.TextField()
    body_text = models.TextField()
    message_id = models.CharField(max_length=255)
    sent_at = models.DateTimeField()
    smtp_response = models.TextField(blank=True)

    objects = WorkspaceManager()
    workspace_path = "reply__message__enrollment__campaign__workspace"

    def __str__(self) -> str:
        return f"answer to {self.reply_id}"
