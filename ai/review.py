"""The operator's abuse review: release, confirm, suspend and restore — each decision audited.

Every decision writes a `Review` (who, when, why) and an `AuditLog` line, tells the workspace's
people (a notification, and an email to its owners and admins), and sends a signal that
campaigns acts on (resume a released campaign, pause a suspended workspace's campaigns).
Suspension is reversible: `workspace_restore` lifts it; nothing resumes by itself.
"""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from accounts.models import Notification, NotificationKind, Workspace
from accounts.services import notify, notify_managers_by_email
from ai import signals
from ai.models import BlockedSnapshot, Review


class ReviewError(ValueError):
    """A decision that cannot be taken (e.g. without a reason)."""


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError(_("Write why: the decision is audited and the user is told."))
    return reason


def _held_with(snapshot: BlockedSnapshot):
    """The held items one decision covers: the whole held campaign (its variants and their
    renderings were judged together), and the same content anywhere in the workspace."""
    same = Q(content_hash=snapshot.content_hash) | Q(pk=snapshot.pk)
    if snapshot.campaign_id is not None:
        same |= Q(campaign_id=snapshot.campaign_id)
    return BlockedSnapshot.objects.filter(
        same, workspace=snapshot.workspace, status=BlockedSnapshot.Status.HELD
    )


def snapshot_release(*, snapshot: BlockedSnapshot, operator, reason: str) -> Review:
    """The content is fine: the campaign may resume and the same content is not held again."""
    reason = _need_reason(reason)
    with transaction.atomic():
        _held_with(snapshot).update(status=BlockedSnapshot.Status.RELEASED)
        review = Review.objects.create(
            workspace=snapshot.workspace,
            snapshot=snapshot,
            decision=Review.Decision.RELEASE,
            reason=reason,
            operator=operator,
        )
        transaction.on_commit(lambda: _after_release(snapshot))
    return review


def _after_release(snapshot: BlockedSnapshot) -> None:
    still_held = BlockedSnapshot.objects.filter(
        workspace=snapshot.workspace,
        campaign_id=snapshot.campaign_id,
        status=BlockedSnapshot.Status.HELD,
    ).exists()
    if still_held:
        return  # another variant of the campaign still waits for a decision
    notify(
        workspace=snapshot.workspace,
        level=Notification.Level.SUCCESS,
        title=_("“%(campaign)s” was reviewed and released") % {"campaign": snapshot.campaign_name},
        body=_("An operator checked the held content and released it; the campaign resumes."),
    )
    signals.content_released.send(
        sender=BlockedSnapshot,
        workspace=snapshot.workspace,
        campaign_id=snapshot.campaign_id,
        snapshot=snapshot,
    )


def snapshot_confirm(*, snapshot: BlockedSnapshot, operator, reason: str) -> Review:
    """The content is abusive: it stays blocked and the user is told why."""
    reason = _need_reason(reason)
    with transaction.atomic():
        _held_with(snapshot).update(status=BlockedSnapshot.Status.CONFIRMED)
        review = Review.objects.create(
            workspace=snapshot.workspace,
            snapshot=snapshot,
            decision=Review.Decision.CONFIRM,
            reason=reason,
            operator=operator,
        )
        title = _("Content of “%(campaign)s” stays blocked") % {"campaign": snapshot.campaign_name}
        body = _(
            "An operator reviewed “%(subject)s” and confirmed it breaks the "
            "Terms: %(reason)s Edit the step to send something else."
        ) % {"subject": snapshot.subject[:80], "reason": reason}

        def tell():
            notify(
                workspace=snapshot.workspace, title=title, body=body, level=Notification.Level.ERROR
            )
            notify_managers_by_email(workspace=snapshot.workspace, title=title, body=body, url="")
            signals.content_confirmed.send(
                sender=BlockedSnapshot,
                workspace=snapshot.workspace,
                campaign_id=snapshot.campaign_id,
                snapshot=snapshot,
            )

        transaction.on_commit(tell)
    return review


def workspace_suspend(
    *, workspace: Workspace, operator, reason: str, snapshot: BlockedSnapshot | None = None
) -> Review:
    """Nothing of the workspace sends until an operator restores it."""
    reason = _need_reason(reason)
    with transaction.atomic():
        Workspace.objects.filter(pk=workspace.pk).update(
            suspended_at=timezone.now(), suspension_reason=reason
        )
        workspace.refresh_from_db(fields=["suspended_at", "suspension_reason"])
        review = Review.objects.create(
            workspace=workspace,
            snapshot=snapshot,
            decision=Review.Decision.SUSPEND,
            reason=reason,
            operator=operator,
        )
        # Paused in the same transaction: no claim may start between suspension and pause.
        signals.workspace_suspended.send(sender=Workspace, workspace=workspace)
        title = _("Your workspace is suspended")
        body = _(
            "An operator suspended “%(workspace)s” after an abuse review: %(reason)s "
            "Every campaign is paused and nothing is sent. Reply to this email to appeal."
        ) % {"workspace": workspace.name, "reason": reason}

        def tell():  # in the app, and by email to those who want pauses by email
            notify(
                workspace=workspace, title=title, body=body, level=Notification.Level.ERROR,
                kind=NotificationKind.PAUSED,
                key=f"suspended:{workspace.pk}:{workspace.suspended_at:%Y-%m-%dT%H:%M:%S}",
            )  # fmt: skip

        transaction.on_commit(tell)
    return review


def workspace_restore(*, workspace: Workspace, operator, reason: str) -> Review:
    """Lift a suspension; campaigns stay paused until their people resume them."""
    reason = _need_reason(reason)
    with transaction.atomic():
        Workspace.objects.filter(pk=workspace.pk).update(suspended_at=None, suspension_reason="")
        workspace.refresh_from_db(fields=["suspended_at", "suspension_reason"])
        review = Review.objects.create(
            workspace=workspace, decision=Review.Decision.RESTORE, reason=reason, operator=operator
        )
        signals.workspace_restored.send(sender=Workspace, workspace=workspace)
        transaction.on_commit(
            lambda: notify(
                workspace=workspace,
                level=Notification.Level.SUCCESS,
                title=_("Your workspace is active again"),
                body=_(
                    "An operator lifted the suspension. Resume your campaigns when you are ready."
                ),
            )
        )
    return review


_SCHEME = re.compile(r"\b(http|ftp)(s?)://", re.I)


def defang(text: str) -> str:
    """Text safe to show an operator: links cannot be clicked or fetched, HTML is not rendered."""
    text = _SCHEME.sub(lambda m: f"{'hxxp' if m[1].lower() == 'http' else 'fxp'}{m[2]}://", text)
    text = re.sub(r"(?<=[a-z0-9])\.(?=[a-z]{2,}\b)", "[.]", text, flags=re.I)
    return escape(text)
