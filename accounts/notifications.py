"""Notifications: who is told what, where (the bell, email, or not at all), and only once.

Every notice goes through `notify`. Each person's choice for the notice's kind
(`NotificationPreference`, else `NOTIFICATION_DEFAULTS`, which depend on their role) decides
whether a row shows in the bell and whether an email is queued (Celery, on commit: mail leaves
only if what caused it is kept). A `key` names the event ("campaign_finished:12"): told once per
person, however often the caller runs. Notices (kind `notice`) reach email through
`notify_managers_by_email`, the alert mail owners and admins have always had."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.emails import platform_email_send
from accounts.models import (
    NOTIFICATION_DEFAULTS,
    Membership,
    Notification,
    NotificationKind,
    NotificationPreference,
    User,
    Workspace,
)

logger = logging.getLogger(__name__)

MANAGERS = (Membership.Role.OWNER, Membership.Role.ADMIN)


def notification_channels(
    *, kind: str, role: str, preference: NotificationPreference | None
) -> tuple[bool, bool]:
    """(in the app, by email) for one person and one kind of notification."""
    if preference is not None:
        return preference.in_app, preference.by_email
    in_app, by_email, by_email_if_manager = NOTIFICATION_DEFAULTS.get(kind, (True, False, False))
    return in_app, by_email_if_manager if role in MANAGERS else by_email


def notification_preferences(*, user: User) -> dict[str, str]:
    """Each kind's channel for this person (their choice, else the default for their role in
    their first workspace), for the settings page."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    manager = Membership.objects.filter(user=user, role__in=MANAGERS).exists()
    result = {}
    for kind in NotificationKind.values:
        if kind in chosen:
            result[kind] = chosen[kind]
            continue
        in_app, by_email = notification_channels(
            kind=kind, role=Membership.Role.OWNER if manager else Membership.Role.MEMBER,
            preference=None,
        )  # fmt: skip
        result[kind] = _channel(in_app, by_email)
    return result


def _channel(in_app: bool, by_email: bool) -> str:
    Channel = NotificationPreference.Channel
    if in_app and by_email:
        return Channel.APP_AND_EMAIL
    return Channel.APP if in_app else Channel.EMAIL if by_email else Channel.OFF


@transaction.atomic
def notification_preferences_set(*, user: User, channels: dict[str, str]) -> None:
    """Store this person's choice for each kind given (unknown kinds or channels refused)."""
    for kind, channel in channels.items():
        if kind not in NotificationKind.values:
            raise ValueError(f"unknown notification kind {kind!r}")
        if channel not in NotificationPreference.Channel.values:
            raise ValueError(f"unknown channel {channel!r}")
    for kind, channel in channels.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"channel": channel}
        )


def notify(
    *,
    workspace: Workspace,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    users: list[User] | None = None,
    kind: str = NotificationKind.NOTICE,
    key: str = "",
) -> list[Notification]:
    """Tell the given users (default: every member) as each of them chose for this kind."""
    memberships = Membership.objects.filter(workspace=workspace).select_related("user")
    if users is not None:
        memberships = memberships.filter(user__in=[u.pk for u in users if u is not None])
    memberships = list(memberships)
    if key:
        told = set(
            Notification.objects.filter(
                key=key[:120], user__in=[m.user_id for m in memberships]
            ).values_list("user_id", flat=True)
        )
        memberships = [m for m in memberships if m.user_id not in told]
    chosen = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(
            user__in=[m.user_id for m in memberships], kind=kind
        )
    }
    rows, emailed = [], set()
    for membership in memberships:
        in_app, by_email = notification_channels(
            kind=kind, role=membership.role, preference=chosen.get(membership.user_id)
        )
        if not (in_app or by_email):
            continue
        if by_email and kind != NotificationKind.NOTICE:
            emailed.add(membership.user_id)
        rows.append(
            Notification(
                workspace=workspace, user=membership.user, title=title[:200], body=body,
                url=url, level=level, kind=kind, key=key[:120], in_app=in_app,
            )
        )  # fmt: skip
    created = Notification.objects.bulk_create(rows, ignore_conflicts=bool(key))
    if emailed:
        ids = list(
            Notification.objects.filter(
                workspace=workspace, user__in=emailed, kind=kind, emailed_at__isnull=True,
                **({"key": key[:120]} if key else {"pk__in": [n.pk for n in created]}),
            ).values_list("pk", flat=True)
        )  # fmt: skip
        if ids:
            from accounts.tasks import send_notification_emails

            send_notification_emails.delay_on_commit(ids)
    return created


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Email each notification not emailed yet (claimed first, so a rerun sends nothing)."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids).select_related(
        "user", "workspace"
    ):
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed or not notification.user.is_active:
            continue
        platform_email_send(
            to=[notification.user.email],
            subject=notification.title,
            template="emails/notification",
            context={"notification": notification, "url": _absolute(notification.url)},
        )
        sent += 1
    return sent


def _absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.PUBLIC_BASE_URL + url


def notify_managers_by_email(
    *, workspace: Workspace, title: str, body: str, url: str, kind: str = NotificationKind.NOTICE
) -> None:
    """Email an alert to those who want this kind by email (by default: owners and admins);
    a platform mail outage never undoes what caused it."""
    memberships = list(Membership.objects.filter(workspace=workspace).select_related("user"))
    chosen = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(
            user__in=[m.user_id for m in memberships], kind=kind
        )
    }
    recipients = [
        m.user.email
        for m in memberships
        if m.user.is_active
        and notification_channels(kind=kind, role=m.role, preference=chosen.get(m.user_id))[1]
    ]
    if not recipients:
        return
    try:
        platform_email_send(
            to=recipients,
            subject=title,
            template="emails/notification",
            context={"notification": {"title": title, "body": body}, "url": _absolute(url)},
        )
    except Exception:
        logger.exception("Could not email the alert %r to workspace %s", title, workspace.pk)


def notifications_mark_read(*, workspace: Workspace, user: User, pk: int | None = None) -> int:
    qs = Notification.objects.for_workspace(workspace).visible_to(user).unread()
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())
