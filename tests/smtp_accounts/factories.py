"""Build mailboxes and outgoing messages for tests."""

from email import policy
from email.message import EmailMessage

from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage


def make_mailbox(workspace, **overrides) -> Mailbox:
    values = {
        "email": "sender@acme.example",
        "from_name": "Alice from Acme",
        "smtp_host": "127.0.0.1",
        "smtp_port": 2525,
        "smtp_security": "starttls",
        "smtp_username": "sender@acme.example",
        "smtp_password": "s3cret-smtp-Passw0rd",
        "imap_host": "127.0.0.1",
        "imap_port": 1143,
        "imap_security": "none",
    }
    values.update(overrides)
    return Mailbox.objects.create(workspace=workspace, **values)


def outgoing(n: int, *, start: int = 0) -> list[OutgoingMessage]:
    messages = []
    for i in range(start, start + n):
        msg = EmailMessage()
        msg["From"] = "Alice <sender@acme.example>"
        msg["To"] = f"lead{i}@example.com"
        msg["Subject"] = f"Hello {i}"
        msg["Message-ID"] = f"<m{i}@acme.example>"
        msg.set_content(f"Body {i}")
        messages.append(
            OutgoingMessage(
                f"lead{i}@example.com", msg.as_bytes(policy=policy.SMTP), f"<m{i}@acme.example>"
            )
        )
    return messages


def sink_mailbox(workspace, smtp_server, **overrides) -> Mailbox:
    """A mailbox sending to the test SMTP server as fast as it can: no gap, no warm-up."""
    values = {
        "smtp_host": "localhost",
        "smtp_port": smtp_server.port,
        "smtp_username": smtp_server.username,
        "smtp_password": smtp_server.password,
        "min_gap_seconds": 0,
        "gap_jitter_seconds": 0,
        "warmup_enabled": False,
    }
    return make_mailbox(workspace, **(values | overrides))
