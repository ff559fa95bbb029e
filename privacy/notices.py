"""Publishing a policy version: the email to every user, and recording their acceptance."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import AuditLog, User
from accounts.services import audit_log
from privacy.models import PolicyVersion
from privacy.policies import USER_FIELD, forget_cached_versions, pending_acceptance

logger = logging.getLogger(__name__)
CHUNK = 200  # emails per SMTP connection


def policy_publish(*, version: PolicyVersion, by: User | None) -> PolicyVersion:
    """Save a new version (its 14-day notice checked by the model) and queue the emails."""
    from privacy.tasks import notify_policy_version

    version.full_clean()
    version.published_by = by
    with transaction.atomic():
        version.save()
        notify_policy_version.delay_on_commit(version.pk)
    forget_cached_versions()
    return version


def policy_notify(*, version_id: int) -> int:
    """Email every active user what changes and when (once: a rerun sends nothing)."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().filter(pk=version_id).first()
        if version is None or version.notified_at is not None:
            return 0
        version.notified_at = timezone.now()
        version.save(update_fields=["notified_at"])
    url = settings.PUBLIC_BASE_URL + reverse(
        "terms" if version.kind == PolicyVersion.Kind.TERMS else "privacy_policy"
    )
    sent = 0
    users = User.objects.filter(is_active=True)
    for language in users.order_by("language").values_list("language", flat=True).distinct():
        # Each user reads the notice in their own language (Settings → Profile).
        with translation.override(language or settings.LANGUAGE_CODE):
            subject, body = _notice(version, url)
        addresses = users.filter(language=language).order_by("pk").values_list("email", flat=True)
        batch: list[str] = []
        for address in addresses.iterator(chunk_size=CHUNK):
            batch.append(address)
            if len(batch) == CHUNK:
                sent += _send(subject, body, batch)
                batch = []
        sent += _send(subject, body, batch)
    return sent


def _notice(version: PolicyVersion, url: str) -> tuple[str, str]:
    """The notice's subject and body in the active language."""
    date = date_format(version.effective_at, "DATE_FORMAT")
    subject = _("[Postigo] Our %(policy)s changes on %(date)s") % {
        "policy": version.get_kind_display(),
        "date": date,
    }
    body = _(
        "On %(date)s a new version (%(version)s) of our %(policy)s takes effect.\n\n"
        "What changes:\n%(summary)s\n\nRead it: %(url)s\n\nWe will ask you to accept it the next "
        "time you sign in after that date. If you do not agree, you can export your data and "
        "close your account in Settings → Privacy.\n"
    ) % {
        "date": date,
        "version": version.version,
        "policy": version.get_kind_display(),
        "summary": version.summary,
        "url": url,
    }
    return subject, body


def _send(subject: str, body: str, addresses: list[str]) -> int:
    if not addresses:
        return 0
    try:
        with get_connection() as connection:
            return connection.send_messages(
                [EmailMessage(subject, body, None, [a]) for a in addresses]
            )
    except Exception:
        logger.exception("Could not send %d policy notices", len(addresses))
        return 0


def policy_accept(*, user: User, request: HttpRequest | None = None) -> list[PolicyVersion]:
    """Record that the user accepts the versions now in effect."""
    accepted = pending_acceptance(user)
    if not accepted:
        return []
    for version in accepted:
        setattr(user, USER_FIELD[version.kind], version.version)
    user.terms_accepted_at = timezone.now()
    user.save(update_fields=[*{USER_FIELD[v.kind] for v in accepted}, "terms_accepted_at"])
    audit_log(
        action=AuditLog.Action.POLICY_ACCEPTED,
        request=request,
        user=user,
        versions={v.kind: v.version for v in accepted},
    )
    return accepted
