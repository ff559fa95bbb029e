"""Mailbox services: connection testing and pausing."""

from __future__ import annotations

from django.utils import timezone

from smtp_accounts.connection import CheckResult, check_imap, check_smtp
from smtp_accounts.models import Mailbox


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


def mailbox_resume(*, mailbox: Mailbox) -> Mailbox:
    mailbox.status = Mailbox.Status.ACTIVE
    mailbox.status_reason = ""
    mailbox.status_changed_at = timezone.now()
    mailbox.consecutive_failures = 0
    mailbox.save(
        update_fields=["status", "status_reason", "status_changed_at", "consecutive_failures"]
    )
    return mailbox
