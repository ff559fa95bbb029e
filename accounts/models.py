"""People, workspaces, membership, invitations, the security audit trail and notifications."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from core.tenancy import WorkspaceManager, WorkspaceQuerySet


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. The email address is the login."""

    class Theme(models.TextChoices):
        SYSTEM = "system", _("Follow system")
        LIGHT = "light", _("Light")
        DARK = "dark", _("Dark")

    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    theme = models.CharField(_("theme"), max_length=10, choices=Theme, default=Theme.SYSTEM)
    # The optional morning email summing up the last day's notifications (accounts/digest.py).
    notification_digest = models.BooleanField(_("daily digest"), default=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=now)
    # What the person agreed to at signup (privacy/policies.py holds the versions).
    age_confirmed_at = models.DateTimeField(null=True, blank=True)
    terms_version = models.CharField(max_length=20, blank=True)
    privacy_version = models.CharField(max_length=20, blank=True)
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # Closing an account deactivates it; it can be restored for 30 days, then the purge erases
    # it (privacy/retention.py).
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return (self.name.split() or [self.email])[0]

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    @property
    def initials(self) -> str:
        parts = self.name.split() if self.name else [self.email]
        return "".join(p[0] for p in parts[:2]).upper()


class WorkspaceSendingQuerySet(models.QuerySet):
    def allowed_to_send(self) -> WorkspaceSendingQuerySet:
        """Workspaces that may send: open, not suspended, and not owned only by deactivated
        people (a deactivated owner's workspace sends nothing, DESIGN invariant 9)."""
        owned_by_the_deactivated_only = (
            Membership.objects.filter(role=Membership.Role.OWNER)
            .values("workspace_id")
            .annotate(active=models.Count("pk", filter=models.Q(user__is_active=True)))
            .filter(active=0)
            .values("workspace_id")
        )
        return self.filter(closed_at__isnull=True, suspended_at__isnull=True).exclude(
            pk__in=owned_by_the_deactivated_only
        )


class Workspace(models.Model):
    """A team's space: every piece of user data belongs to exactly one workspace."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set by an operator after abuse review (ai admin); reversible. Nothing sends meanwhile.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the purge erased its data but kept the row for records the law keeps (ledger).
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceSendingQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    def may_send(self) -> bool:
        """The same rule as `allowed_to_send`, for one workspace already loaded, read afresh.

        The send path asks it for every chunk it claims: one plain SQL statement, not the
        queryset's grouped subquery, which cost 1–2 ms a chunk to build (docs/BENCHMARKS.md);
        tests/ai/test_sending_standing.py holds both to the same answers."""
        membership = Membership._meta
        user_table = membership.get_field("user").related_model._meta.db_table
        owners = (
            f"SELECT 1 FROM {membership.db_table} m WHERE m.workspace_id = w.id AND m.role = %s"
        )
        sql = (
            f"SELECT 1 FROM {self._meta.db_table} w WHERE w.id = %s AND w.closed_at IS NULL "
            f"AND w.suspended_at IS NULL AND (NOT EXISTS ({owners}) OR EXISTS ({owners} AND "
            f"EXISTS (SELECT 1 FROM {user_table} u WHERE u.id = m.user_id AND u.is_active)))"
        )
        owner = Membership.Role.OWNER.value
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.pk, owner, owner])
            return cursor.fetchone() is not None

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Admin")
        MEMBER = "member", _("Member")
        VIEWER = (
            "viewer",
            _("Viewer"),
        )  # reads everything, changes nothing (accounts/permissions.py)

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def can_manage_members(self) -> bool:
        from accounts.permissions import Action, can

        return can(self, Action.MEMBERS_MANAGE)

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class InvitationQuerySet(WorkspaceQuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An emailed invitation to join a workspace; the link carries a signed token."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Membership.Role, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.workspace}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return not (self.accepted_at or self.revoked_at or self.is_expired)


class AuditLog(models.Model):
    """Append-only record of security-relevant events, with where they came from."""

    class Action(models.TextChoices):
        SIGNUP = "signup", _("Signed up")
        EMAIL_CONFIRMED = "email_confirmed", _("Email address confirmed")
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Failed sign-in")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        TWO_FACTOR_ENABLED = "2fa_enabled", _("Two-factor authentication enabled")
        TWO_FACTOR_DISABLED = "2fa_disabled", _("Two-factor authentication disabled")
        TWO_FACTOR_VERIFIED = "2fa_verified", _("Second factor verified")
        TWO_FACTOR_FAILED = "2fa_failed", _("Wrong second-factor code")
        BACKUP_CODE_USED = "backup_code_used", _("Backup code used")
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", _("Backup codes regenerated")
        INVITE_SENT = "invite_sent", _("Invitation sent")
        INVITE_REVOKED = "invite_revoked", _("Invitation revoked")
        INVITE_ACCEPTED = "invite_accepted", _("Invitation accepted")
        ROLE_CHANGED = "role_changed", _("Role changed")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        SUPPRESSION_REMOVED = "suppression_removed", _("Suppression removed")
        API_KEY_CREATED = "api_key_created", _("API key created")
        API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
        # Privacy requests and their outcome (privacy/).
        ACCOUNT_CLOSED = "account_closed", _("Account closed")
        ACCOUNT_RESTORED = "account_restored", _("Account restored")
        WORKSPACE_CLOSED = "workspace_closed", _("Workspace closed")
        WORKSPACE_RESTORED = "workspace_restored", _("Workspace restored")
        DATA_EXPORT_REQUESTED = "export_requested", _("Data export requested")
        DATA_EXPORT_READY = "export_ready", _("Data export ready")
        DATA_EXPORT_DOWNLOADED = "export_downloaded", _("Data export downloaded")
        PROFILE_CORRECTED = "profile_corrected", _("Profile corrected")
        RESTRICTION_SET = "restriction_set", _("Processing restricted")
        RESTRICTION_LIFTED = "restriction_lifted", _("Restriction lifted")
        OBJECTION_CHANGED = "objection_changed", _("Objection to processing changed")
        RECIPIENT_ERASED = "recipient_erased", _("A recipient's data erased")
        POLICY_ACCEPTED = "policy_accepted", _("Policy accepted")

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_logs"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=Action, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class NotificationKind(models.TextChoices):
    """What a notification is about; each person chooses, per kind, where it reaches them."""

    INTERESTED_REPLY = "interested_reply", _("A lead replied and is interested")
    CAMPAIGN_FINISHED = "campaign_finished", _("A campaign finished its sequence")
    IMPORT_FINISHED = "import_finished", _("A lead import finished")
    PAUSED = "paused", _("A campaign or mailbox was paused")
    NOTICE = "notice", _("Account, billing and workspace notices")


# Defaults when a person never chose: (in the app, by email; by email for owners and admins).
# Pauses have always reached owners and admins by email, and still do.
NOTIFICATION_DEFAULTS: dict[str, tuple[bool, bool, bool]] = {
    NotificationKind.INTERESTED_REPLY: (True, True, True),
    NotificationKind.CAMPAIGN_FINISHED: (True, False, False),
    NotificationKind.IMPORT_FINISHED: (True, False, False),
    NotificationKind.PAUSED: (True, False, True),
    # Notices reach email through the alert mail (accounts.notifications.notify_managers_by_email).
    NotificationKind.NOTICE: (True, False, True),
}


class NotificationQuerySet(WorkspaceQuerySet):
    def visible_to(self, user) -> NotificationQuerySet:
        """The bell's: this person's, minus the kinds they chose to get by email only."""
        return self.filter(user=user, in_app=True)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message (the bell): a mailbox paused, an import finished, a reply arrived."""

    class Level(models.TextChoices):
        INFO = "info", _("Info")
        SUCCESS = "success", _("Success")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    # One row per recipient, so each member's read state is their own.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    level = models.CharField(max_length=10, choices=Level, default=Level.INFO)
    kind = models.CharField(
        max_length=30, choices=NotificationKind, default=NotificationKind.NOTICE
    )
    # What the notification is about ("campaign_finished:12"): the same event is told once.
    key = models.CharField(max_length=120, blank=True)
    in_app = models.BooleanField(default=True)  # False: the person wants this kind by email only
    emailed_at = models.DateTimeField(null=True, blank=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "workspace", "read_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~models.Q(key=""), name="notification_once"
            )
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """One person's choice for one kind of notification (absent: NOTIFICATION_DEFAULTS)."""

    class Channel(models.TextChoices):
        APP_AND_EMAIL = "app_email", _("In the app and by email")
        APP = "app", _("In the app")
        EMAIL = "email", _("By email")
        OFF = "off", _("Off")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind)
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.APP)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}: {self.channel}"

    @property
    def in_app(self) -> bool:
        return self.channel in (self.Channel.APP_AND_EMAIL, self.Channel.APP)

    @property
    def by_email(self) -> bool:
        return self.channel in (self.Channel.APP_AND_EMAIL, self.Channel.EMAIL)


class NotificationDigest(models.Model):
    """A person's daily digest: one row per local day (the digest is optional, off by default);
    a day with a row was handled, so the digest never goes twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_digests"
    )
    day = models.DateField()
    items = models.PositiveIntegerField(default=0)  # 0: nothing to tell, no email sent
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="notification_digest_unique")
        ]

    def __str__(self) -> str:
        return f"Digest of {self.user} for {self.day}"
