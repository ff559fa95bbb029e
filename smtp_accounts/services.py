"""Mailbox services: connection testing and pausing."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterable

from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationKind
from accounts.services import notify
from smtp_accounts.connection import CheckResult, check_imap, check_smtp
from smtp_accounts.models import DkimKey, Mailbox
from smtp_accounts.presets import basic_auth_disabled
from smtp_accounts.replies import Outcome
from smtp_accounts.sender import OutgoingMessage, SendResult, send_messages

logger = logging.getLogger(__name__)


def mailbox_test_connection(*, mailbox: Mailbox) -> list[CheckResult]:
    """Run the SMTP and IMAP checks and remember the outcome on the mailbox."""
    results = [check_smtp(mailbox)]
    if mailbox.imap_host:
        results.append(check_imap(mailbox))
    mailbox.last_test_at = timezone.now()
    mailbox.last_test_ok = all(r.ok for r in results)
    mailbox.last_test_result = {"checks": [r.as_dict() for r in results]}
    mailbox.save(update_fields=["last_test_at", "last_test_ok", "last_test_result"])
    return results


def mailbox_pause(*, mailbox: Mailbox, reason: str = "", by_error: bool = False) -> Mailbox:
    mailbox.status = Mailbox.Status.PAUSED_BY_ERROR if by_error else Mailbox.Status.PAUSED_BY_USER
    mailbox.status_reason = reason
    mailbox.status_changed_at = timezone.now()
    mailbox.save(update_fields=["status", "status_reason", "status_changed_at"])
    return mailbox


class MailboxNotResumable(ValueError):
    """The mailbox cannot send again as it is; the message says what to do."""


def mailbox_resume(*, mailbox: Mailbox) -> Mailbox:
    """Send again. An OAuth mailbox without its grant (disconnected, revoked, or its workspace
    closed) must be reconnected first: resuming it would only fail at the next send."""
    if mailbox.oauth_provider and not mailbox.oauth_connected:
        raise MailboxNotResumable(
            _("%(email)s must be reconnected with %(provider)s before it can send again.")
            % {"email": mailbox.email, "provider": mailbox.get_oauth_provider_display()}
        )
    mailbox.status = Mailbox.Status.ACTIVE
    mailbox.status_reason = ""
    mailbox.status_changed_at = timezone.now()
    mailbox.consecutive_failures = 0
    mailbox.save(
        update_fields=["status", "status_reason", "status_changed_at", "consecutive_failures"]
    )
    return mailbox


def mailbox_send_batch(
    *, mailbox: Mailbox, messages: Iterable[OutgoingMessage]
) -> list[SendResult]:
    """Send pre-rendered messages; update counters; pause and notify on a mailbox failure.
    (Campaign batches use `background.BackgroundSender`, which overlaps SMTP with recording.)"""
    results = list(send_messages(mailbox, messages, signer=dkim_signer_for(mailbox)))
    mailbox_batch_done(mailbox=mailbox, results=results)
    return results


def mailbox_batch_done(*, mailbox: Mailbox, results: list[SendResult]) -> None:
    """After a batch: the mailbox's counters; paused and the workspace told on a mailbox-level
    failure."""
    sent = any(r.outcome is Outcome.SENT for r in results)
    temporary = sum(1 for r in results if r.outcome is Outcome.TEMPORARY)
    # Daily and hourly counts were taken when the slots were reserved (rotation.py).
    if sent:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_sent_at=timezone.now(), consecutive_failures=0
        )
    elif temporary:
        Mailbox.objects.filter(pk=mailbox.pk).update(
            consecutive_failures=F("consecutive_failures") + temporary
        )
    failure = next((r for r in results if r.outcome is Outcome.MAILBOX), None)
    if failure is not None:
        if mailbox.oauth_provider:
            _oauth_grant_recheck(mailbox)
        mailbox_paused_by_error(
            mailbox=mailbox, reason=f"{failure.code or ''} {failure.response}".strip()
        )


def mailbox_pause_key(mailbox: Mailbox, reason: str) -> str:
    """One notice per mailbox, reason and day, however many batches hit the failure."""
    digest = hashlib.sha256(reason.encode()).hexdigest()[:12]
    return f"mailbox_paused:{mailbox.pk}:{timezone.now():%Y-%m-%d}:{digest}"


def mailbox_paused_by_error(*, mailbox: Mailbox, reason: str, reading: bool = False) -> None:
    """Pause one mailbox after a mailbox-level failure and tell the workspace (app + email).
    `reading`: the failure was reading its replies (IMAP), not sending."""
    mailbox_pause(mailbox=mailbox, reason=reason, by_error=True)
    from api import events as webhook_events  # api sits above the mail transport

    webhook_events.mailbox_error(mailbox, reason=reason, reading=reading)
    title = _("Mailbox %(email)s was paused") % {"email": mailbox.email}
    body = _paused_body(mailbox, reason, reading=reading)
    url = reverse("mailbox_detail", args=[mailbox.pk])
    notify(
        workspace=mailbox.workspace, title=title, body=body, url=url, level="error",
        kind=NotificationKind.PAUSED, key=mailbox_pause_key(mailbox, reason),
    )  # fmt: skip


def _oauth_grant_recheck(mailbox: Mailbox) -> None:
    """After a refused XOAUTH2 sign-in, ask the provider whether the grant still stands: a
    revoked one has its tokens deleted at once (the refresh says invalid_grant)."""
    from smtp_accounts.handshake import CredentialsUnavailable
    from smtp_accounts.oauth.tokens import oauth_access_token

    # Revoked: the tokens are gone. An outage: nothing more to learn now.
    with contextlib.suppress(CredentialsUnavailable):
        oauth_access_token(mailbox=mailbox, force=True)


def dkim_signer_for(mailbox: Mailbox):
    """The DKIM signer for the mailbox's domain, once its key is seen published."""
    key = (
        DkimKey.objects.for_workspace(mailbox.workspace)
        .filter(domain=mailbox.domain, verified_at__isnull=False)
        .first()
    )
    return key.signer() if key else None


def dkim_key_create(*, workspace, domain: str) -> DkimKey:
    """Generate (or return) the workspace's DKIM key for a domain; publish its record next."""
    from smtp_accounts.dkim_signing import generate_private_key

    key, _created = DkimKey.objects.get_or_create(
        workspace=workspace,
        domain=domain.lower(),
        defaults={"private_key": generate_private_key().decode()},
    )
    return key


def _paused_body(mailbox: Mailbox, reason: str, *, reading: bool) -> str:
    """What the workspace is told: what happened, what to do, and that the rest goes on."""
    if mailbox.oauth_provider:
        return _(
            "Signing in with %(provider)s failed: %(reason)s. Until the mailbox is reconnected "
            "nothing is sent from it and its replies are not read. Open the mailbox and click "
            "Reconnect: its history, limits and campaigns stay. Your other mailboxes keep sending."
        ) % {"provider": mailbox.get_oauth_provider_display(), "reason": reason}
    if basic_auth_disabled(reason):
        return _(
            "Microsoft 365 refused the password: %(reason)s. Basic authentication is switched "
            "off for this mailbox, so it must be reconnected with Microsoft: on the Mailboxes "
            "page, choose Connect mailbox, then Connect with Microsoft, and sign in as "
            "%(email)s. Its history, limits and campaigns stay. Your other mailboxes keep sending."
        ) % {"reason": reason, "email": mailbox.email}
    if reading:
        return _(
            "Replies are read over IMAP, and the server refused: %(reason)s. Postigo cannot see "
            "who answered until this is fixed, so it stopped sending follow-ups from this "
            "mailbox. Fix the problem, test the connection, then resume it. Your other "
            "mailboxes keep sending."
        ) % {"reason": reason}
    return _(
        "The server refused to send from this mailbox: %(reason)s. Fix the problem, test "
        "the connection, then resume it. Your other mailboxes keep sending."
    ) % {"reason": reason}
