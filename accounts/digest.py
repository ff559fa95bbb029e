"""The optional daily digest: at 08:00 in each person's own time zone, one email summing up the
notifications of the last day, across their workspaces. Idempotent per person per local day
(`NotificationDigest`); a day with nothing to tell sends nothing."""

from __future__ import annotations

import datetime
import zoneinfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override

from accounts.emails import platform_email_send
from accounts.models import Notification, NotificationDigest, NotificationKind, User

DIGEST_HOUR = 8
WINDOW = datetime.timedelta(days=1)


def _local(user: User, at: datetime.datetime) -> datetime.datetime:
    try:
        zone = zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    return at.astimezone(zone)


def digests_due(now: datetime.datetime | None = None) -> list[tuple[int, datetime.date]]:
    """(user id, local day) for everyone with the digest on whose local hour is the digest's
    and who has not had that day's digest yet."""
    now = now or timezone.now()
    due = []
    users = User.objects.filter(notification_digest=True, is_active=True).only("pk", "timezone")
    for user in users:
        local = _local(user, now)
        if local.hour == DIGEST_HOUR:
            due.append((user.pk, local.date()))
    done = set(
        NotificationDigest.objects.filter(
            user__in=[pk for pk, _day in due], day__in={day for _pk, day in due}
        ).values_list("user_id", "day")
    )
    return [item for item in due if item not in done]


def digest_items(*, user: User, until: datetime.datetime) -> list[Notification]:
    """The person's notifications of the day before `until`, whatever channel they chose."""
    return list(
        Notification.objects.filter(user=user, created_at__gt=until - WINDOW, created_at__lte=until)
        .select_related("workspace")
        .order_by("workspace__name", "kind", "-created_at")
    )


def digest_send(*, user_id: int, day: str | datetime.date, now=None) -> bool:
    """Send the digest of `day` once; True when an email went out."""
    day = datetime.date.fromisoformat(day) if isinstance(day, str) else day
    user = User.objects.filter(pk=user_id, is_active=True, notification_digest=True).first()
    if user is None:
        return False
    now = now or timezone.now()
    items = digest_items(user=user, until=now)
    try:
        with transaction.atomic():
            NotificationDigest.objects.create(user=user, day=day, items=len(items), sent_at=now)
            if items:  # a mail failure undoes the row: the next run tries again
                _send(user, day, items)
    except IntegrityError:
        return False  # that day's digest was handled already
    return bool(items)


def _send(user: User, day: datetime.date, items: list[Notification]) -> None:
    with override(user.language or "en"):
        groups: dict[str, list[Notification]] = {}
        for item in items:
            groups.setdefault(item.workspace.name, []).append(item)
        subject = ngettext(
            "Your day: %(count)s notification", "Your day: %(count)s notifications", len(items)
        ) % {"count": len(items)}
        counts = {
            label: sum(1 for item in items if item.kind == kind)
            for kind, label in NotificationKind.choices
        }
        platform_email_send(
            to=[user.email],
            subject=subject,
            template="emails/digest",
            context={
                "user": user,
                "day": day,
                "groups": groups,
                "counts": {label: n for label, n in counts.items() if n},
                "heading": _("What happened in the last day"),
                "list_url": reverse("notification_list"),
                "settings_url": reverse("settings_notifications"),
            },
        )
