"""Workspace, membership, invitation, audit and notification services."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditLog, Invitation, Membership, Notification, User, Workspace

logger = logging.getLogger(__name__)


class AccountsError(Exception):
    """A rule of accounts or workspaces was broken; the message is shown to the user."""


# --- Audit --------------------------------------------------------------------------------


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_log(
    *,
    action: str,
    request: HttpRequest | None = None,
    user: User | None = None,
    workspace: Workspace | None = None,
    **metadata,
) -> AuditLog:
    """Record a security event with the client's IP address and user agent."""
    if user is None and request is not None and request.user.is_authenticated:
        user = request.user
    if workspace is None and request is not None:
        workspace = getattr(request, "workspace", None)
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    return AuditLog.objects.create(
        action=action,
        user=user,
        workspace=workspace,
        ip_address=client_ip(request),
        user_agent=user_agent,
        metadata=metadata,
    )


# --- Workspaces -----------------------------------------------------------------------------


@transaction.atomic
def workspace_create(*, owner: User, name: str) -> Workspace:
    workspace = Workspace.objects.create(name=name[:100])
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    return workspace


def default_workspace_name(user: User) -> str:
    return _("%(name)s’s workspace") % {"name": user.display_name}


def membership_current(*, user: User, workspace_id: int | None) -> Membership | None:
    """The membership the user works in now: the remembered one, else their first."""
    # A closed workspace is out of reach until an owner restores it (Settings → Privacy).
    memberships = Membership.objects.filter(
        user=user, workspace__closed_at__isnull=True
    ).select_related("workspace")
    membership = None
    if workspace_id is not None:
        membership = memberships.filter(workspace_id=workspace_id).first()
    if membership is None:
        membership = memberships.first()
    if membership is None:
        # Everyone has somewhere to work, even after leaving every shared workspace.
        workspace = workspace_create(owner=user, name=default_workspace_name(user))
        membership = Membership.objects.select_related("workspace").get(
            workspace=workspace, user=user
        )
    return membership


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, by: Membership, request: HttpRequest | None = None
) -> Membership:
    if role not in Membership.Role.values:
        raise AccountsError(_("Unknown role."))
    if not by.is_owner:
        raise AccountsError(_("Only an owner can change roles."))
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    if membership.is_owner and role != Membership.Role.OWNER:
        _ensure_another_owner(membership)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_log(
        action=AuditLog.Action.ROLE_CHANGED,
        request=request,
        workspace=membership.workspace,
        member=membership.user.email,
        old_role=old,
        new_role=role,
    )
    return membership


def _ensure_another_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(
        workspace_id=membership.workspace_id, role=Membership.Role.OWNER
    ).exclude(pk=membership.pk)
    if not owners.exists():
        raise AccountsError(
            _("A workspace needs at least one owner. Make someone else owner first.")
        )


# A member left or was removed (kwargs: workspace, user); sent inside the removing transaction.
# The API connects to it to revoke the keys that member made.
member_left = Signal()


@transaction.atomic
def membership_remove(
    *, membership: Membership, by: Membership, request: HttpRequest | None = None
) -> None:
    leaving = membership.user_id == by.user_id
    if not leaving and not by.can_manage_members:
        raise AccountsError(_("Only owners and admins can remove members."))
    if not leaving and membership.is_owner and not by.is_owner:
        raise AccountsError(_("Only an owner can remove another owner."))
    if membership.is_owner:
        _ensure_another_owner(membership)
    audit_log(
        action=AuditLog.Action.MEMBER_REMOVED,
        request=request,
        workspace=membership.workspace,
        member=membership.user.email,
        left=leaving,
    )
    membership.delete()
    member_left.send(sender=Membership, workspace=membership.workspace, user=membership.user)


# --- Invitations ----------------------------------------------------------------------------

INVITATION_SALT = "accounts.invitation"


def invitation_token(invitation: Invitation) -> str:
    return signing.TimestampSigner(salt=INVITATION_SALT).sign(str(invitation.public_id))


def invitation_from_token(token: str) -> Invitation:
    """Resolve a token to a pending invitation, or raise AccountsError saying why not."""
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        public_id = signing.TimestampSigner(salt=INVITATION_SALT).unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise AccountsError(_("This invitation has expired. Ask for a new one.")) from exc
    except signing.BadSignature as exc:
        raise AccountsError(_("This invitation link is not valid.")) from exc
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None or invitation.revoked_at:
        raise AccountsError(_("This invitation was withdrawn."))
    if invitation.accepted_at:
        raise AccountsError(_("This invitation has already been used."))
    if invitation.is_expired:
        raise AccountsError(_("This invitation has expired. Ask for a new one."))
    return invitation


def invitation_create(
    *,
    workspace: Workspace,
    invited_by: Membership,
    email: str,
    role: str,
    request: HttpRequest | None = None,
) -> Invitation:
    email = email.strip().lower()
    if not invited_by.can_manage_members:
        raise AccountsError(_("Only owners and admins can invite people."))
    if role == Membership.Role.OWNER and not invited_by.is_owner:
        raise AccountsError(_("Only an owner can invite another owner."))
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise AccountsError(_("%(email)s is already a member.") % {"email": email})
    with transaction.atomic():
        # A new invitation replaces any pending one for the same address.
        Invitation.objects.for_workspace(workspace).pending().filter(email__iexact=email).update(
            revoked_at=timezone.now()
        )
        invitation = Invitation.objects.create(
            workspace=workspace,
            email=email,
            role=role,
            invited_by=invited_by.user,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
        )
        audit_log(
            action=AuditLog.Action.INVITE_SENT,
            request=request,
            workspace=workspace,
            email=email,
            role=role,
        )
        from accounts.tasks import send_invitation_email

        send_invitation_email.delay_on_commit(invitation.pk)
    return invitation


def invitation_revoke(*, invitation: Invitation, request: HttpRequest | None = None) -> None:
    if not invitation.is_pending:
        raise AccountsError(_("This invitation is no longer pending."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_log(
        action=AuditLog.Action.INVITE_REVOKED,
        request=request,
        workspace=invitation.workspace,
        email=invitation.email,
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User, request: HttpRequest | None = None
) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    )
    if not invitation.is_pending:
        raise AccountsError(_("This invitation is no longer valid."))
    if user.email.lower() != invitation.email.lower():
        raise AccountsError(
            _(
                "This invitation was sent to %(invited)s, but you are signed in as %(current)s. "
                "Sign in with the invited address to accept it."
            )
            % {"invited": invitation.email, "current": user.email}
        )
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_log(
        action=AuditLog.Action.INVITE_ACCEPTED,
        request=request,
        user=user,
        workspace=invitation.workspace,
        email=invitation.email,
        role=membership.role,
    )
    notify(
        workspace=invitation.workspace,
        users=[invitation.invited_by] if invitation.invited_by else None,
        title=_("%(email)s joined %(workspace)s")
        % {"email": user.email, "workspace": invitation.workspace.name},
        level=Notification.Level.SUCCESS,
    )
    return membership


# --- Notifications (accounts/notifications.py; imported from here by the other apps) ------

from accounts.notifications import (  # noqa: E402, F401
    notifications_mark_read,
    notify,
    notify_managers_by_email,
)


def sessions_purge_expired() -> int:
    """Delete the sessions past their expiry (database sessions are never purged otherwise)."""
    from django.contrib.sessions.models import Session

    deleted, _rows = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
