"""Leads, lists, the suppression list and lead imports."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace
from core.tenancy import WorkspaceManager

# The lead schema, stated once: the fields a CSV column can map to, a template can name and the
# lead form edits (anything else is a custom field); their lengths are the model's (`Lead`).
STANDARD_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "company",
    "title",
    "website",
    "phone",
    "timezone",
)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def value_hash(value: str) -> str:
    """SHA-256 of a normalised address or domain: what a suppression keeps after erasure."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


class LeadList(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="lead_lists")
    name = models.CharField(_("name"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="lead_list_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Lead(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        REPLIED = "replied", _("Replied")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        BOUNCED = "bounced", _("Bounced")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="leads")
    email = models.EmailField(_("email"), max_length=254)
    email_normalized = models.CharField(max_length=254, editable=False)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)
    # ",tag,other," — searchable with one LIKE on every database (JSON containment is not).
    tags = models.CharField(_("tags"), max_length=500, blank=True, default="")
    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    lists = models.ManyToManyField(LeadList, through="LeadMembership", related_name="leads")
    created_by_import = models.ForeignKey(
        "LeadImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "email_normalized"], name="lead_unique_email"
            )
        ]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email_normalized = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    @staticmethod
    def tags_value(tags) -> str:
        clean = sorted({t.strip().lower().replace(",", " ") for t in tags if t.strip()})
        return f",{','.join(clean)}," if clean else ""

    def merge_values(self) -> dict[str, str]:
        """What templates see: standard fields, then custom fields (never overriding them)."""
        values = {name: getattr(self, name) for name in STANDARD_FIELDS}
        for key, value in self.custom.items():
            values.setdefault(key, "" if value is None else str(value))
        return values


class LeadMembership(models.Model):
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE)
    lead_list = models.ForeignKey(LeadList, on_delete=models.CASCADE)
    added_by_import = models.ForeignKey(
        "LeadImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(default=now)

    objects = WorkspaceManager()
    workspace_path = "lead_list__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lead", "lead_list"], name="lead_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} in {self.lead_list_id}"


class Suppression(models.Model):
    """An address or a whole domain never to be mailed. Kept when the lead is deleted; when the
    address itself must be erased, `value` is blanked and the hash still suppresses."""

    class Kind(models.TextChoices):
        ADDRESS = "address", _("Address")
        DOMAIN = "domain", _("Domain")

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Complaint")
        MANUAL = "manual", _("Added manually")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="suppressions")
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.ADDRESS)
    value = models.CharField(max_length=254, blank=True)
    value_hash = models.CharField(max_length=64, editable=False)
    reason = models.CharField(max_length=20, choices=Reason, default=Reason.MANUAL)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "value_hash"], name="suppression_unique"
            )
        ]
        indexes = [models.Index(fields=["workspace", "value_hash"])]

    def __str__(self) -> str:
        return self.value or f"{self.kind} {self.value_hash[:12]}…"

    def save(self, *args, **kwargs):
        if self.value:
            self.value = self.value.strip().lower()
            self.value_hash = value_hash(self.value)
        super().save(*args, **kwargs)

    @property
    def added_automatically_for_a_company(self) -> bool:
        """A whole domain suppressed by a campaign that stops everyone at a company (one of them
        unsubscribed), not by the recipient's own word about their own address."""
        return self.kind == self.Kind.DOMAIN and self.reason != self.Reason.MANUAL

    def removable_by(self, membership) -> bool:
        """Entries added by hand, a domain a campaign added for a company, an address a bounce
        report suppressed: an owner or admin (accounts/permissions.py: a removal may mail
        someone who asked not to be, or a report read wrong). An address that unsubscribed or
        complained: nobody — that was the recipient's word. Nor an entry kept as a hash alone
        after the address was erased on the person's request: it is what keeps them from being
        mailed again."""
        from accounts.permissions import Action, can

        if self.is_erased:
            return False
        if (
            self.reason == self.Reason.MANUAL
            or self.added_automatically_for_a_company
            or self.is_bounce
        ):
            return can(membership, Action.SUPPRESSION_REMOVE)
        return False

    @property
    def is_erased(self) -> bool:
        """Only the hash is left: the address was forgotten on request (privacy)."""
        return not self.value and bool(self.value_hash)

    @property
    def is_bounce(self) -> bool:
        return self.kind == self.Kind.ADDRESS and self.reason == self.Reason.HARD_BOUNCE


class LeadImport(models.Model):
    """One CSV import: the file, the mapping, progress and what happened to every row."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Waiting for the column mapping")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped by an error")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="lead_imports")
    lead_list = models.ForeignKey(LeadList, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField(editable=False)  # the decoded file as UTF-8; emptied when done
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=2)
    header = models.JSONField(default=list)
    mapping = models.JSONField(default=list)  # one target per column: field, "custom:key" or ""
    check_mx = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status, default=Status.MAPPING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)  # checkpoint: resume from here
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    # Rows of a lead already there with nothing new (added to the list only), and empty rows:
    # with these, the counts above add up to the rows processed.
    unchanged = models.PositiveIntegerField(default=0)
    blank = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)  # [{"row": n, "reason": "…"}], the first 1,000
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} → {self.lead_list}"

    COUNTS = ("imported", "updated", "unchanged", "duplicates", "invalid", "suppressed", "blank")

    @property
    def counted(self) -> int:
        """Rows accounted for by the counts: the rows processed, once a chunk is committed."""
        return sum(getattr(self, name) for name in self.COUNTS)

    @property
    def percent(self) -> int:
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

    @property
    def stalled(self) -> bool:
        """Running, but no chunk finished for two minutes: the worker died."""
        return (
            self.status == self.Status.RUNNING
            and self.heartbeat_at is not None
            and now() - self.heartbeat_at > datetime.timedelta(minutes=2)
        )


class LeadImportFill(models.Model):
    """Blank fields of an existing lead that an import filled in: what a rollback clears."""

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="fills")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="+")
    fields = models.JSONField(default=list)

    objects = WorkspaceManager()
    workspace_path = "lead_import__workspace"

    def __str__(self) -> str:
        return f"import {self.lead_import_id} filled {self.fields} of lead {self.lead_id}"


class SuppressionImport(models.Model):
    """A file of addresses and domains for the suppression list, read and applied by a task
    (campaigns/leads/suppression_imports.py) so a large file never holds a request or the
    database's write lock; the page polls its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="suppression_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    data = models.BinaryField(editable=False)  # the uploaded bytes; emptied when done
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    existing = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)  # [{"row": n, "reason": "…"}], the first ones
    more_problems = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
