"""Mailboxes users send from, with their limits, warm-up and health."""

from __future__ import annotations

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Workspace, validate_timezone
from core import secret_binding
from core.fields import EncryptedTextField
from core.tenancy import WorkspaceManager
from smtp_accounts.presets import PRESETS

_NOT_LOADED = object()


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS (implicit)")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback in development only)")


# The settings that decide when a full cap frees up (`Mailbox.capped_until`).
CAP_FIELDS = frozenset(
    {
        "daily_cap",
        "hourly_cap",
        "warmup_enabled",
        "warmup_start",
        "warmup_increment",
        "warmup_started_on",
        "timezone",
        "sent_today",
        "sent_today_date",
        "sent_this_hour",
        "hour_window_start",
        "status",
    }
)


class Mailbox(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED_BY_USER = "paused_user", _("Paused")
        PAUSED_BY_ERROR = "paused_error", _("Paused by an error")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="mailboxes")
    provider = models.CharField(
        max_length=20, choices=[(p.key, p.label) for p in PRESETS.values()], default="custom"
    )
    from_name = models.CharField(_("from name"), max_length=120, blank=True)
    email = models.EmailField(_("email address"))

    smtp_host = models.CharField(_("SMTP host"), max_length=255)
    smtp_port = models.PositiveIntegerField(
        _("SMTP port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=Security, default=Security.STARTTLS
    )
    smtp_username = models.CharField(_("SMTP username"), max_length=255)
    # Empty for a mailbox connected with OAuth (`oauth_provider`), which signs in with XOAUTH2
    # (required in the password form, so not blank=True).
    smtp_password = EncryptedTextField(_("SMTP password"))

    imap_host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(
        _("IMAP port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=Security, default=Security.SSL
    )
    # Empty: the SMTP credentials are used for IMAP too.
    imap_username = models.CharField(_("IMAP username"), max_length=255, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    # Where each stored password may be sent (core/secret_binding.py): made when the
    # password is entered, checked before every sign-in. Changing a host, port, security or
    # username without entering the password again leaves it unmatched, so nothing is sent.
    smtp_secret_binding = models.CharField(max_length=64, blank=True, editable=False)
    imap_secret_binding = models.CharField(max_length=64, blank=True, editable=False)

    # "google" or "microsoft": connected with OAuth (smtp_accounts/oauth), its token in
    # `oauth_token` (absent once revoked or disconnected: the mailbox must be reconnected).
    oauth_provider = models.CharField(
        max_length=20, blank=True, choices=[("google", "Google"), ("microsoft", "Microsoft")]
    )

    signature_html = models.TextField(_("signature (HTML)"), blank=True)
    signature_text = models.TextField(_("signature (plain text)"), blank=True)

    daily_cap = models.PositiveIntegerField(
        _("daily limit"), default=200, validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )
    hourly_cap = models.PositiveIntegerField(
        _("hourly limit"), default=30, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    min_gap_seconds = models.PositiveIntegerField(_("minimum gap between sends (s)"), default=120)
    gap_jitter_seconds = models.PositiveIntegerField(_("random extra gap up to (s)"), default=60)
    warmup_enabled = models.BooleanField(_("warm-up"), default=True)
    warmup_start = models.PositiveIntegerField(_("warm-up: sends on day one"), default=10)
    warmup_increment = models.PositiveIntegerField(_("warm-up: more each day"), default=5)
    warmup_started_on = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])

    status = models.CharField(max_length=20, choices=Status, default=Status.ACTIVE)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Capacity accounting (smtp_accounts/rotation.py): a reserved slot counts as a send.
    sent_today = models.PositiveIntegerField(default=0)
    sent_today_date = models.DateField(null=True, blank=True)
    sent_this_hour = models.PositiveIntegerField(default=0)
    hour_window_start = models.DateTimeField(null=True, blank=True)
    next_send_at = models.DateTimeField(null=True, blank=True)
    # When the day's or the hour's cap, full at the last reservation, lets it send again: the
    # dispatcher does not visit the mailbox before then (a hint; the limits are checked at
    # reservation). Saving the mailbox's settings clears it, so a raised cap applies at once.
    capped_until = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # Reading replies over IMAP: when it last worked, and the error of the failing runs since.
    imap_synced_at = models.DateTimeField(null=True, blank=True)
    imap_failures = models.PositiveIntegerField(default=0)
    imap_error = models.TextField(blank=True)
    imap_failed_at = models.DateTimeField(null=True, blank=True)
    # The inbox cycle (smtp_accounts/imap_cycle.py): when a read was queued and not yet started
    # (never queued twice), and when the running read started (the lock: one read at a time).
    imap_sync_queued_at = models.DateTimeField(null=True, blank=True)
    imap_sync_started_at = models.DateTimeField(null=True, blank=True)
    last_test_at = models.DateTimeField(null=True, blank=True)
    last_test_ok = models.BooleanField(null=True)
    last_test_result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["email"]
        verbose_name_plural = _("mailboxes")
        constraints = [
            models.UniqueConstraint(fields=["workspace", "email"], name="mailbox_unique_email"),
            models.CheckConstraint(
                condition=models.Q(hourly_cap__lte=models.F("daily_cap")),
                name="mailbox_hourly_cap_within_daily",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        # The warm-up ramp starts on the day the mailbox is connected (its local date).
        if self.warmup_enabled and self.warmup_started_on is None:
            self.warmup_started_on = self.local_date()
        update_fields = kwargs.get("update_fields")
        if update_fields is None or CAP_FIELDS.intersection(update_fields):
            self.capped_until = None
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "capped_until"}
        if self._state.adding:
            # A new mailbox's passwords were entered together with its servers.
            self.bind_secrets()
        elif getattr(self, "_stored_secrets", None) is not None and (
            update_fields is None or {"smtp_password", "imap_password"} & set(update_fields)
        ):
            # A password set anew (not the one loaded) was entered for the servers it is
            # saved with. Keeping the stored password never rebinds it.
            smtp_stored, imap_stored = self._stored_secrets
            # (A deferred, never-loaded password is the stored one: never "new".)
            smtp_new = smtp_stored is not _NOT_LOADED and self.smtp_password != smtp_stored
            imap_new = imap_stored is not _NOT_LOADED and self.imap_password != imap_stored
            if smtp_new or imap_new:
                imap_uses_smtp = smtp_new and not self.imap_password
                self.bind_secrets(smtp=smtp_new, imap=imap_new or imap_uses_smtp)
                if update_fields is not None:
                    kwargs["update_fields"] = {
                        *kwargs["update_fields"],
                        "smtp_secret_binding",
                        "imap_secret_binding",
                    }
        super().save(*args, **kwargs)
        self._stored_secrets = (self.smtp_password, self.imap_password)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_secrets = (  # to tell a secret entered anew from the stored one
            instance.__dict__.get("smtp_password", _NOT_LOADED),
            instance.__dict__.get("imap_password", _NOT_LOADED),
        )
        return instance

    # --- where the passwords may go (secret binding) -------------------------------------
    @property
    def smtp_destination(self) -> secret_binding.Destination:
        return secret_binding.Destination(
            "smtp", self.smtp_host, self.smtp_port, self.smtp_security, self.smtp_username
        )

    @property
    def imap_destination(self) -> secret_binding.Destination:
        return secret_binding.Destination(
            "imap",
            self.imap_host,
            self.imap_port,
            self.imap_security,
            self.imap_username or self.smtp_username,
        )

    def bind_secrets(self, *, smtp: bool = True, imap: bool = True) -> None:
        """Record that the passwords were entered for the current servers. Only call this
        where the password was just entered (a form field, an import row)."""
        if smtp:
            self.smtp_secret_binding = secret_binding.bind(
                self.smtp_password, self.smtp_destination
            )
        if imap:
            self.imap_secret_binding = secret_binding.bind(
                self.imap_login[1], self.imap_destination
            )

    def smtp_secret_matches(self) -> bool:
        return secret_binding.matches(
            self.smtp_password, self.smtp_destination, self.smtp_secret_binding
        )

    def imap_secret_matches(self) -> bool:
        return secret_binding.matches(
            self.imap_login[1], self.imap_destination, self.imap_secret_binding
        )

    @property
    def smtp_credentials(self) -> tuple[str, str]:
        """The SMTP username and password, only if the password was entered for this server
        (raises secret_binding.SecretNotBound)."""
        secret_binding.require(self.smtp_password, self.smtp_destination, self.smtp_secret_binding)
        return self.smtp_username, self.smtp_password

    @property
    def imap_credentials(self) -> tuple[str, str]:
        """The IMAP username and password (defaulting to the SMTP ones), only if the password
        was entered for this IMAP server (raises secret_binding.SecretNotBound)."""
        username, password = self.imap_login
        secret_binding.require(password, self.imap_destination, self.imap_secret_binding)
        return username, password

    @property
    def domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()

    @property
    def oauth_connected(self) -> bool:
        """Connected with OAuth and holding a grant (False once revoked or disconnected)."""
        return bool(self.oauth_provider) and OAuthToken.objects.filter(mailbox_id=self.pk).exists()

    @property
    def imap_login(self) -> tuple[str, str]:
        """The IMAP username and password (defaulting to the SMTP ones)."""
        return (self.imap_username or self.smtp_username, self.imap_password or self.smtp_password)

    def local_date(self, now: datetime.datetime | None = None) -> datetime.date:
        import zoneinfo

        now = now or timezone.now()
        return now.astimezone(zoneinfo.ZoneInfo(self.timezone)).date()

    def warmup_cap(self, day: datetime.date) -> int | None:
        """Sends allowed today by the warm-up ramp, or None once warm-up no longer limits."""
        if not self.warmup_enabled or self.warmup_started_on is None:
            return None
        days = max(0, (day - self.warmup_started_on).days)
        ramp = self.warmup_start + days * self.warmup_increment
        return ramp if ramp < self.daily_cap else None

    def effective_daily_cap(self, day: datetime.date) -> int:
        ramp = self.warmup_cap(day)
        return self.daily_cap if ramp is None else min(ramp, self.daily_cap)

    def today(self) -> dict:
        """Today's numbers for display: sent, cap, and the warm-up day while it ramps."""
        day = self.local_date()
        ramp = self.warmup_cap(day)
        return {
            "sent": self.sent_on(day),
            "cap": self.effective_daily_cap(day),
            "warmup_day": (day - self.warmup_started_on).days + 1 if ramp is not None else None,
        }

    def sent_on(self, day: datetime.date) -> int:
        """The day's counter; it resets at midnight in the mailbox's time zone."""
        return self.sent_today if self.sent_today_date == day else 0


class OAuthToken(models.Model):
    """A mailbox's OAuth grant: tokens AES-256-GCM at rest, never in forms, logs or exports.

    Deleted at once when the grant is revoked (at the provider or by Disconnect); the mailbox and
    its history stay. The row is also the lock that makes one worker at a time refresh it
    (`oauth/tokens.py`, SELECT ... FOR UPDATE)."""

    mailbox = models.OneToOneField(
        Mailbox, on_delete=models.CASCADE, primary_key=True, related_name="oauth_token"
    )
    provider = models.CharField(max_length=20)
    subject = models.CharField(max_length=255)  # the provider's stable id of the account
    scope = models.TextField(blank=True)
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField()
    refreshed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()
    workspace_path = "mailbox__workspace"

    def __str__(self) -> str:
        return f"{self.provider} grant of mailbox {self.mailbox_id}"

    def __repr__(self) -> str:
        return f"<OAuthToken {self.provider} mailbox={self.mailbox_id} expires={self.expires_at}>"

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at <= timezone.now() + datetime.timedelta(seconds=seconds)


class SendLog(models.Model):
    """One SMTP attempt: who, to whom, what the server said, how long it took."""

    mailbox = models.ForeignKey(  # the (mailbox, -created_at) index serves its lookups
        Mailbox, on_delete=models.CASCADE, related_name="send_logs", db_index=False
    )
    recipient = models.EmailField(max_length=320)
    message_id = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=20)
    code = models.IntegerField(null=True, blank=True)
    response = models.TextField(blank=True)
    elapsed_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkspaceManager()
    workspace_path = "mailbox__workspace"

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["mailbox", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.outcome} {self.code or ''}"


class DkimKey(models.Model):
    """A DKIM key for one sending domain, for mail servers that do not sign themselves.

    Mail is signed only once the public key is seen published (`verified_at`), so a
    receiver never gets a signature it cannot check.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="dkim_keys")
    domain = models.CharField(max_length=253)
    selector = models.CharField(max_length=63, default="postigo")
    private_key = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "domain"], name="dkim_key_one_per_domain")
        ]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def record_value(self) -> str:
        from smtp_accounts.dkim_signing import public_key_record

        return public_key_record(self.private_key.encode())

    @property
    def public_key(self) -> str:
        """The base64 p= value of the record."""
        return self.record_value.rpartition("p=")[2]

    def signer(self):
        from smtp_accounts.dkim_signing import DkimSigner

        return DkimSigner(
            domain=self.domain, selector=self.selector, private_key_pem=self.private_key.encode()
        )


class DomainCheck(models.Model):
    """The latest health report (MX, SPF, DKIM, DMARC, blocklists) of one sending domain."""

    class Level(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        OK = "ok", _("Healthy")
        WARNING = "warning", _("Needs attention")
        ERROR = "error", _("Problems")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="domain_checks")
    domain = models.CharField(max_length=253)
    dkim_selectors = models.CharField(
        _("your DKIM selectors"),
        max_length=255,
        blank=True,
        help_text=_("Comma-separated, if your provider signs under a selector of its own."),
    )
    status = models.CharField(max_length=10, choices=Level, default=Level.PENDING)
    findings = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "domain"], name="domain_check_one_per_domain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.status}"

    @property
    def selectors(self) -> list[str]:
        return [s.strip().lower() for s in self.dkim_selectors.split(",") if s.strip()]

    @property
    def in_progress(self) -> bool:
        return self.requested_at is not None and (
            self.checked_at is None or self.checked_at < self.requested_at
        )


class ImapFolderState(models.Model):
    """How far a mailbox's folder has been read: UIDs below `last_uid` were handled, as long as
    the folder's UIDVALIDITY is still `uidvalidity` (a new one means the UIDs were reassigned).
    `uidnext`: the folder's UIDNEXT when a read last went through all of it; while STATUS still
    says so, nothing arrived since and the folder is not selected at all."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="imap_folders")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    uidnext = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()
    workspace_path = "mailbox__workspace"

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="imap_folder_state_once")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id} {self.folder} @ {self.last_uid}"
