"""Build mailboxes for tests."""

from smtp_accounts.models import Mailbox


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
