"""A real SMTP server for tests: aiosmtpd with AUTH LOGIN/PLAIN and STARTTLS, scriptable replies."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, AuthResult, LoginPassword

from tests.servers.tls import make_certificate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Script:
    """What the server does next. `rcpt` maps an address to a reply for that recipient."""

    data_reply: str = "250 2.0.0 Ok: queued"
    rcpt: dict[str, str] = field(default_factory=dict)
    data_delay: float = 0.0
    disconnect_in_data: bool = False
    auth_reply: str = ""  # refuse every password sign-in with this reply


class ScriptedHandler:
    def __init__(self, server: TestSMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.server.script.rcpt.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        script = self.server.script
        if script.data_delay:
            await asyncio.sleep(script.data_delay)
        if script.disconnect_in_data:
            server.transport.close()
            return "421 4.4.2 Connection dropped"
        if script.data_reply.startswith("2"):
            with self.server.lock:
                self.server.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
        return script.data_reply


class XOAuth2Handler(ScriptedHandler):
    """Also offers AUTH XOAUTH2, checking the bearer token by RFC 7662 introspection at
    `introspection_url` (the fake OAuth provider), as Gmail and Exchange Online do with theirs."""

    def __init__(self, server: TestSMTPServer, introspection_url: str):
        super().__init__(server)
        self.introspection_url = introspection_url

    async def auth_XOAUTH2(self, smtp, args):
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await smtp.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)
        fields = dict(
            part.split("=", 1)
            for part in blob.decode("utf-8", "replace").split("\x01")
            if "=" in part
        )
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        info = await asyncio.get_running_loop().run_in_executor(None, self._introspect, token)
        self.server.auth_attempts.append(f"xoauth2:{user}")
        if info.get("active") and info.get("email") == user:
            self.server.xoauth2_logins.append(user)
            return AuthResult(success=True, auth_data=user)
        # Gmail's way: a 334 challenge with a JSON status, the client's empty answer, then 535.
        status = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        await smtp.challenge_auth(json.dumps(status))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    def _introspect(self, token: str) -> dict:
        data = urllib.parse.urlencode({"token": token}).encode()
        with urllib.request.urlopen(self.introspection_url, data, timeout=5) as response:
            return json.loads(response.read())


class TestSMTPServer:
    __test__ = False  # a server, not a test class

    """Start with `start()`; credentials are `username` / `password`."""

    username = "sender@acme.example"
    password = "s3cret-smtp-Passw0rd"

    def __init__(
        self,
        folder: Path,
        *,
        implicit_tls: bool = False,
        certificate=None,
        introspection_url: str = "",
    ):
        self.cert, self.key = certificate or make_certificate(folder)
        self.port = free_port()
        self.implicit_tls = implicit_tls
        self.script = Script()
        self.received: list[Received] = []
        self.auth_attempts: list[str] = []
        self.xoauth2_logins: list[str] = []
        self.lock = threading.Lock()
        self.stopped = False
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        kwargs = {"ssl_context": context} if implicit_tls else {"tls_context": context}
        handler = (
            XOAuth2Handler(self, introspection_url) if introspection_url else ScriptedHandler(self)
        )
        self.controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="mx.test.localhost",
            authenticator=self._authenticate,
            # aiosmtpd only counts STARTTLS as TLS; with implicit TLS everything is encrypted.
            auth_require_tls=not implicit_tls,
            **kwargs,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        self.auth_attempts.append(auth_data.login.decode())
        if self.script.auth_reply:
            return AuthResult(success=False, handled=False, message=self.script.auth_reply)
        ok = (
            auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> TestSMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.controller.stop()


class SilentServer:
    """Accepts TCP connections and never says a word: for timeout tests."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def stop(self) -> None:
        self.sock.close()


class GreetingServer:
    """Answers every connection with one fixed greeting and hangs up: a server that refuses."""

    def __init__(self, greeting: bytes):
        self.greeting = greeting
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:  # stopped
                return
            with conn:
                conn.sendall(self.greeting)

    def stop(self) -> None:
        self.sock.close()
