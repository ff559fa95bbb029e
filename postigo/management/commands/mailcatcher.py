"""Run the development mail catcher: SMTP storing every message as an .eml file under var/mail/,
and IMAP serving the local (demo) mailbox from var/imap/ (postigo/mailcatcher.py)."""

from __future__ import annotations

import contextlib
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from postigo.mailcatcher import IMAP_PASSWORD, IMAP_USERNAME, MailCatcher


class Command(BaseCommand):
    help = (
        "Run the development mail catcher (SMTP on 127.0.0.1:1025, files in var/mail/; "
        "IMAP on 127.0.0.1:1143 for the demo mailbox, files in var/imap/)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.MAIL_CATCHER_PORT)
        parser.add_argument("--imap-port", type=int, default=settings.MAIL_CATCHER_IMAP_PORT)

    def handle(self, *args, host: str, port: int, imap_port: int, **options):
        catcher = MailCatcher(
            mail_dir=settings.MAIL_CATCHER_DIR,
            host=host,
            smtp_port=port,
            imap_dir=settings.MAIL_CATCHER_IMAP_DIR,
            imap_port=imap_port,
        )
        catcher.start()
        self.stdout.write(
            f"Mail catcher: SMTP on {host}:{port} (saving to {settings.MAIL_CATCHER_DIR}), "
            f"IMAP on {host}:{imap_port} (login {IMAP_USERNAME} / {IMAP_PASSWORD}; "
            f"mail for *.localhost addresses)"
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way out
                stop.wait()
        finally:
            catcher.stop()
