"""The development mail catcher: SMTP that keeps every message, and IMAP for the local mailbox.

`make run`'s `mail` process (the `mailcatcher` command) runs both on loopback:
- **SMTP** (aiosmtpd, any login, no TLS): every message is written atomically to its own .eml
  file under var/mail/ (shown at /dev/mail/);
- **IMAP** (pymap's maildir backend, login `demo` / `demo`, no TLS): one mailbox, stored under
  var/imap/. Mail the SMTP side receives for an address on a `.localhost` domain (the demo
  mailbox is alex@postigo.localhost) is also delivered there, as a local MTA would: with
  `Return-Path` (the envelope sender, `<>` for a bounce) and `Delivered-To` on top, through
  IMAP APPEND. So a reply sent to the demo mailbox is read back by the real IMAP sync.

Development only: it listens on 127.0.0.1, accepts any SMTP login and a well-known IMAP one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from argparse import Namespace
from contextlib import AsyncExitStack
from pathlib import Path

import imapclient
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from imapclient.exceptions import IMAPClientError
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.maildir import Config, Login, MaildirBackend
from pymap.context import connection_exit
from pymap.imap import IMAPConnection, IMAPServer
from pymap.imap.state import ConnectionState
from pymap.parsing.response import ResponseOk
from pysasl.hashing import Cleartext

IMAP_USERNAME = "demo"
IMAP_PASSWORD = "demo"  # loopback, development only: a known login, as the SMTP side takes any
LOCAL_SUFFIX = ".localhost"  # mail for these domains is delivered to the IMAP mailbox


def is_local(address: str) -> bool:
    return address.rpartition("@")[2].lower().rstrip(">").endswith(LOCAL_SUFFIX)


class _RfcClose(ConnectionState):
    """pymap refuses CLOSE on a mailbox selected read-only; RFC 3501 (6.4.2) says it deselects
    it, removing nothing and giving no error, which is how the inbox sync leaves a kept
    connection after its EXAMINE."""

    async def do_close(self, cmd):
        if self._selected is not None and self._selected.readonly:
            self._selected = None
            return ResponseOk(cmd.tag, cmd.command + b" completed."), None
        return await super().do_close(cmd)


class _Server(IMAPServer):
    """pymap's connection handler, with the RFC 3501 CLOSE."""

    async def __call__(self, reader, writer, sock_info) -> None:
        conn = IMAPConnection(self.commands, self._config, reader, writer, sock_info)
        state = _RfcClose(self._login, self._config)
        async with AsyncExitStack() as stack:
            connection_exit.set(stack)
            stack.enter_context(contextlib.closing(conn))
            await conn.run(state)


class ImapStore:
    """pymap serving one maildir mailbox from `folder`, in a thread with its own event loop."""

    def __init__(self, folder: Path, host: str, port: int):
        self.folder, self.host, self.port = Path(folder), host, port
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        users = self.folder / "pymap-etc-passwd"
        users.write_text(f"{IMAP_USERNAME}:x::::{IMAP_USERNAME}:\n")
        (self.folder / "pymap-etc-shadow").write_text(f"{IMAP_USERNAME}:{IMAP_PASSWORD}::::::\n")
        self._thread = threading.Thread(target=self._run, name="imap-catcher", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the IMAP side of the mail catcher did not start")
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def deliver(self, raw: bytes) -> None:
        """File a message in the mailbox's INBOX (IMAP APPEND, as any client could)."""
        client = imapclient.IMAPClient(self.host, self.port, ssl=False, timeout=10)
        try:
            client.login(IMAP_USERNAME, IMAP_PASSWORD)
            client.append("INBOX", raw)
        finally:
            client.logout()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(); a thread has no one else to tell
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        args = Namespace(
            base_dir=str(self.folder),
            concurrency=2,
            layout="++",
            colon=None,
            host=self.host,
            port=self.port,
            debug=False,
            tls=False,
            passlib_cfg=None,
            proxy_protocol=None,
            inherited_sockets=None,
        )
        config = Config(
            args,
            host=self.host,
            port=self.port,
            tls_enabled=False,
            hash_context=Cleartext(),
            reject_dnsbl=False,  # loopback: no DNS lookups on a closed network
            invalid_user_sleep=0.1,
            **Config.parse_args(args),
        )
        config.apply_context()
        backend = MaildirBackend(Login(config), config)
        handler = ProxyProtocolReader(config.proxy_protocol).get_callback(
            _Server(backend.login, config)
        )
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            server = await asyncio.start_server(handler, host=self.host, port=self.port)
            await stack.enter_async_context(server)
            self._ready.set()
            await self._stop.wait()


class SaveToFolder:
    """aiosmtpd handler writing each message atomically to its own file, and delivering the
    ones for local addresses to the IMAP store."""

    def __init__(self, folder: Path, store: ImapStore | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.store = store

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        tmp = self.folder / f".{name}.tmp"
        header = (
            f"X-Mailcatcher-From: {envelope.mail_from}\r\n"
            f"X-Mailcatcher-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        tmp.write_bytes(header + envelope.original_content)
        tmp.replace(self.folder / name)
        local = [rcpt for rcpt in envelope.rcpt_tos if is_local(rcpt)]
        if self.store is not None and local:
            delivered = (
                f"Return-Path: <{envelope.mail_from or ''}>\r\nDelivered-To: {local[0]}\r\n"
            ).encode()
            loop = asyncio.get_running_loop()
            try:
                await loop.run_in_executor(
                    None, self.store.deliver, delivered + envelope.original_content
                )
            except (OSError, IMAPClientError) as exc:
                return f"451 Could not deliver to the local mailbox: {exc}"
        return "250 Message accepted for delivery"


def _any_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=True)


class MailCatcher:
    """SMTP on `smtp_port` (files in `mail_dir`) and, with `imap_port`, IMAP over `imap_dir`."""

    def __init__(
        self,
        *,
        mail_dir: Path,
        host: str = "127.0.0.1",
        smtp_port: int,
        imap_dir: Path | None = None,
        imap_port: int | None = None,
    ):
        self.store = ImapStore(imap_dir, host, imap_port) if imap_port else None
        self.smtp = Controller(
            SaveToFolder(mail_dir, self.store),
            hostname=host,
            port=smtp_port,
            authenticator=_any_login,
            auth_require_tls=False,
        )

    def start(self) -> None:
        if self.store is not None:
            self.store.start()
        self.smtp.start()

    def stop(self) -> None:
        self.smtp.stop()
        if self.store is not None:
            self.store.stop()
