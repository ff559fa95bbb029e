"""What the mailboxes app keeps about people, for the privacy app (privacy/registry.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.registry import ExportFile, Shredder
from smtp_accounts.models import DkimKey, DomainCheck, Mailbox, SendLog

# Never exported: the secrets (DESIGN §5.4).
MAILBOX_COLUMNS = [
    "id",
    "email",
    "from_name",
    "provider",
    "oauth_provider",  # connected with Google/Microsoft; its tokens are never exported
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "signature_html",
    "signature_text",
    "daily_cap",
    "hourly_cap",
    "status",
    "status_reason",
    "created_at",
]
SEND_LOG_COLUMNS = [
    "id",
    "mailbox_id",
    "recipient",
    "message_id",
    "outcome",
    "code",
    "response",
    "elapsed_ms",
    "created_at",
]


def _rows(qs, columns):
    return qs.order_by("pk").values(*columns).iterator(chunk_size=2000)


class MailboxShredder(Shredder):
    identifier = "mailboxes"
    verbose_name = _("Mailboxes and their send logs")

    def export(self, *, workspace):
        yield ExportFile(
            "mailboxes",
            MAILBOX_COLUMNS,
            _rows(Mailbox.objects.for_workspace(workspace), MAILBOX_COLUMNS),
        )
        yield ExportFile(
            "send_logs",
            SEND_LOG_COLUMNS,
            _rows(SendLog.objects.for_workspace(workspace), SEND_LOG_COLUMNS),
        )
        columns = ["domain", "selector", "created_at", "verified_at"]
        yield ExportFile(
            "dkim_keys", columns, _rows(DkimKey.objects.for_workspace(workspace), columns)
        )
        columns = ["domain", "status", "findings", "checked_at"]
        yield ExportFile(
            "domain_checks", columns, _rows(DomainCheck.objects.for_workspace(workspace), columns)
        )

    def erase_address(self, *, workspace, address):
        deleted, _detail = (
            SendLog.objects.for_workspace(workspace).filter(recipient__iexact=address).delete()
        )
        return {"send logs": deleted}

    def workspace_closed(self, *, workspace):
        """Sending stops and the mailboxes' passwords are wiped: a closed workspace holds no
        key to anyone's mailbox. Restoring it means entering them again (or reconnecting an
        OAuth mailbox, whose grant is revoked at the provider where it can be)."""
        from smtp_accounts.oauth.tokens import oauth_disconnect

        connected = Mailbox.objects.for_workspace(workspace).filter(oauth_token__isnull=False)
        for mailbox in connected:  # the provider is called once the closing has committed
            oauth_disconnect(mailbox=mailbox, revoke_after_commit=True)
        Mailbox.objects.for_workspace(workspace).update(
            smtp_password="",
            imap_password="",
            status=Mailbox.Status.PAUSED_BY_USER,
            status_reason=str(_("The workspace was closed; its passwords were wiped.")),
            status_changed_at=timezone.now(),
        )
