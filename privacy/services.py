"""Closing and restoring workspaces and accounts; the standing privacy choices other apps read.

Closing stops everything at once (campaigns paused, mailboxes' passwords wiped — each app's
shredder does its part), tells the members, and starts the 30 days during which an owner can
restore it; after that the purge erases it (privacy/retention.py: closed_workspaces,
closed_accounts).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import AuditLog, Invitation, Membership, User, Workspace
from accounts.services import audit_log, notify
from privacy import retention
from privacy.models import WorkspacePrivacy
from privacy.registry import shredders

logger = logging.getLogger(__name__)


class PrivacyError(Exception):
    """A privacy request cannot be carried out as asked; the message says why, to the user."""


# --- Who may do what: the permission matrix (accounts/permissions.py) -------------------------


def can_close_workspace(membership: Membership | None) -> bool:
    """Closing, restoring, restricting a workspace, objecting for it, erasing one of its
    recipients: the workspace's owners."""
    from accounts.permissions import Action, can

    return can(membership, Action.WORKSPACE_DELETE)


def can_erase_recipient(membership: Membership | None) -> bool:
    """Forgetting a recipient on request: owners and admins."""
    from accounts.permissions import Action, can

    return can(membership, Action.PRIVACY_REQUESTS)


# --- Deadlines ---------------------------------------------------------------------------------


def restore_deadline(closed_at: datetime.datetime) -> datetime.datetime:
    """The last moment a closure can be undone: the purge erases it on the day after."""
    period = retention.rule("closed_workspaces").period
    day = closed_at.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + datetime.timedelta(days=period.days + 1) - datetime.timedelta(microseconds=1)


def restorable(closed_at: datetime.datetime | None) -> bool:
    return closed_at is not None and timezone.now() <= restore_deadline(closed_at)


# --- Re-authentication -------------------------------------------------------------------------


def check_password(user: User, password: str) -> None:
    if not password or not user.check_password(password):
        raise PrivacyError(_("That is not your password."))


# --- Workspaces ------------------------------------------------------------------------------


def _email(recipients: list[str], subject: str, body: str) -> None:
    """Platform mail about a closure; an outage never undoes the closure itself."""
    if not recipients:
        return
    try:
        send_mail(f"[Postigo] {subject}", body, None, recipients)
    except Exception:
        logger.exception("Could not email %r", subject)


def workspace_close(
    *, workspace: Workspace, by: User, request: HttpRequest | None = None, at=None
) -> Workspace:
    """Close a workspace now. Sending stops at once, mailbox passwords are wiped, the members
    are told; an owner can restore it until `restore_deadline`."""
    at = at or timezone.now()
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if workspace.closed_at is not None:
            return workspace
        workspace.closed_at, workspace.closed_by = at, by
        workspace.save(update_fields=["closed_at", "closed_by"])
        for shredder in shredders():
            shredder.workspace_closed(workspace=workspace)
        # Nobody joins a closed workspace: its pending invitations stop working.
        Invitation.objects.for_workspace(workspace).pending().update(revoked_at=at)
        audit_log(
            action=AuditLog.Action.WORKSPACE_CLOSED, request=request, user=by, workspace=workspace
        )
        deadline = restore_deadline(at)
        title = _("%(who)s closed the workspace %(name)s") % {
            "who": by.display_name,
            "name": workspace.name,
        }
        body = _(
            "Sending has stopped and the mailboxes' passwords were wiped. An owner can restore "
            "the workspace until %(deadline)s (Settings → Privacy, or “Restore” on the sign-in "
            "page); after that everything in it is erased for good."
        ) % {"deadline": f"{deadline:%d %B %Y}"}
        members = list(Membership.objects.filter(workspace=workspace).select_related("user"))
        notify(workspace=workspace, title=title, body=body, users=[m.user for m in members])
        emails = [m.user.email for m in members if m.user.is_active]
        transaction.on_commit(lambda: _email(emails, title, body))
    return workspace


def workspace_restore(
    *, workspace: Workspace, by: User, request: HttpRequest | None = None
) -> Workspace:
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if workspace.closed_at is None:
            return workspace
        if workspace.erased_at is not None or not restorable(workspace.closed_at):
            raise PrivacyError(_("This workspace can no longer be restored."))
        if not Membership.objects.filter(
            workspace=workspace, user=by, role=Membership.Role.OWNER
        ).exists():
            raise PrivacyError(_("Only an owner can restore a workspace."))
        workspace.closed_at, workspace.closed_by = None, None
        workspace.save(update_fields=["closed_at", "closed_by"])
        for shredder in shredders():
            shredder.workspace_restored(workspace=workspace)
        audit_log(
            action=AuditLog.Action.WORKSPACE_RESTORED, request=request, user=by, workspace=workspace
        )
        notify(
            workspace=workspace,
            title=_("%(who)s restored the workspace %(name)s")
            % {"who": by.display_name, "name": workspace.name},
            body=_(
                "Campaigns stay paused and each mailbox needs its password again before it sends."
            ),
        )
    return workspace


def closed_workspaces_of(user: User):
    """Workspaces the user owns that are closed and can still be restored."""
    cutoff = timezone.now() - datetime.timedelta(
        days=retention.rule("closed_workspaces").period.days + 1
    )
    return [
        ws
        for ws in Workspace.objects.filter(
            memberships__user=user,
            memberships__role=Membership.Role.OWNER,
            closed_at__gte=cutoff,
            erased_at__isnull=True,
        ).order_by("closed_at")
        if restorable(ws.closed_at)
    ]


# --- Accounts --------------------------------------------------------------------------------


def account_close_blockers(user: User) -> list[Workspace]:
    """Workspaces the user is the only owner of while others are members: they must hand the
    workspace over (make someone owner) or close it first."""
    blockers = []
    owned = Membership.objects.filter(
        user=user, role=Membership.Role.OWNER, workspace__closed_at__isnull=True
    ).select_related("workspace")
    for membership in owned:
        others = Membership.objects.filter(workspace=membership.workspace).exclude(user=user)
        if others.exists() and not others.filter(role=Membership.Role.OWNER).exists():
            blockers.append(membership.workspace)
    return blockers


def account_close(*, user: User, password: str, request: HttpRequest | None = None) -> User:
    """Close the user's own account: it is signed out everywhere, the workspaces only they use
    close with it, and it can be restored from the sign-in page for 30 days."""
    check_password(user, password)
    blockers = account_close_blockers(user)
    if blockers:
        raise PrivacyError(
            _(
                "You are the only owner of %(names)s, where others work too. Make one of them "
                "owner, or close the workspace, first."
            )
            % {"names": ", ".join(f"“{w.name}”" for w in blockers)}
        )
    at = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        alone = Workspace.objects.filter(memberships__user=user, closed_at__isnull=True).exclude(
            memberships__user__in=User.objects.exclude(pk=user.pk)
        )
        for workspace in alone:
            workspace_close(workspace=workspace, by=user, request=request, at=at)
        user.is_active, user.closed_at = False, at
        user.save(update_fields=["is_active", "closed_at"])
        audit_log(action=AuditLog.Action.ACCOUNT_CLOSED, request=request, user=user)
        deadline = restore_deadline(at)
        restore_url = settings.PUBLIC_BASE_URL + reverse("privacy_restore")
        email = user.email
        transaction.on_commit(
            lambda: _email(
                [email],
                _("Your account is closed"),
                _(
                    "Your Postigo account is closed and you are signed out everywhere. You can "
                    "restore it, with the workspaces you used alone, until %(deadline)s at "
                    "%(url)s. After that it is erased for good; records the law makes us keep "
                    "(payments) are kept without your name."
                )
                % {"deadline": f"{deadline:%d %B %Y}", "url": restore_url},
            )
        )
    return user


def account_restore(*, user: User, request: HttpRequest | None = None) -> User:
    """Reopen a closed account (the caller checked the password and second factor) and the
    workspaces that closed with it."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.closed_at is None:
            return user
        if not restorable(user.closed_at):
            raise PrivacyError(_("This account can no longer be restored."))
        closed_with_it = Workspace.objects.filter(closed_by=user, closed_at=user.closed_at)
        user.is_active, user.closed_at = True, None
        user.save(update_fields=["is_active", "closed_at"])
        for workspace in closed_with_it:
            workspace_restore(workspace=workspace, by=user, request=request)
        audit_log(action=AuditLog.Action.ACCOUNT_RESTORED, request=request, user=user)
    return user


# --- Standing choices: restriction and objections -----------------------------------------------

RESTRICTED_MESSAGE = _lazy(
    "Processing is restricted in Settings → Privacy: no campaign sends until it is lifted."
)


def privacy_of(workspace: Workspace) -> WorkspacePrivacy:
    choices, _created = WorkspacePrivacy.objects.get_or_create(workspace=workspace)
    return choices


def is_restricted(workspace_id: int) -> bool:
    return WorkspacePrivacy.objects.filter(
        workspace_id=workspace_id, restricted_at__isnull=False
    ).exists()


def objects_to_ai(workspace_id: int) -> bool:
    """The ai app uses only its local provider for such a workspace (and none while restricted)."""
    return WorkspacePrivacy.objects.filter(
        workspace_id=workspace_id, objects_to_ai_at__isnull=False
    ).exists()


def ai_allowed(workspace_id: int) -> bool:
    """No AI call at all while processing is restricted."""
    return not is_restricted(workspace_id)


def tracking_allowed(workspace_id: int) -> bool:
    """Opens and clicks are recorded unless processing is restricted or analytics objected to."""
    return (
        not WorkspacePrivacy.objects.filter(workspace_id=workspace_id)
        .exclude(restricted_at__isnull=True, objects_to_analytics_at__isnull=True)
        .exists()
    )


def untracked_workspace_ids() -> set[int]:
    """Workspaces whose opens and clicks are not recorded (for a batch of tracking hits)."""
    return set(
        WorkspacePrivacy.objects.exclude(
            restricted_at__isnull=True, objects_to_analytics_at__isnull=True
        ).values_list("workspace_id", flat=True)
    )
