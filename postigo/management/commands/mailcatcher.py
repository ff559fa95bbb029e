"""Run a local SMTP server that stores every message as an .eml file under var/mail/.

It accepts any login, without TLS (it listens on loopback only): the demo mailbox of a
development install (postigo/demo.py) sends through it like a real mailbox, AUTH included."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.conf import settings
from django.core.management.base import BaseCommand


class SaveToFolder:
    """aiosmtpd handler writing each message atomically to its own file."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        header = (
            f"X-Mailcatcher-From: {envelope.mail_from}\r\n"
            f"X-Mailcatcher-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        tmp.write_bytes(header + envelope.original_content)
        tmp.replace(self.folder / name)
        return "250 Message accepted for delivery"


def _any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=True)


def catcher(folder: Path, host: str, port: int) -> Controller:
    return Controller(
        SaveToFolder(folder),
        hostname=host,
        port=port,
        authenticator=_any_login,
        auth_require_tls=False,
    )


class Command(BaseCommand):
    help = "Run the development mail catcher (SMTP on 127.0.0.1:1025, files in var/mail/)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1025)

    def handle(self, *args, host: str, port: int, **options):
        folder = Path(settings.MAIL_CATCHER_DIR)
        controller = catcher(folder, host, port)
        controller.start()
        self.stdout.write(f"Mail catcher listening on {host}:{port}, saving to {folder}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the normal way out
                stop.wait()
        finally:
            controller.stop()
