"""Connection test: real SMTP (EHLO, STARTTLS, AUTH) and IMAP (LOGIN, SELECT INBOX).

The result names the stage that failed, shows the server's own reply, and adds a hint.
"""

from __future__ import annotations

import ast
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from imapclient.exceptions import IMAPClientError, LoginError

from core.secret_binding import SecretNotBound
from core.text import storable, storable_fields
from smtp_accounts import network
from smtp_accounts.models import Mailbox, Security
from smtp_accounts.presets import PRESETS


class Stage:
    DNS = "dns"
    BLOCKED = "blocked"
    SECRET = "secret"  # the stored password was entered for another server
    CONNECT = "connect"
    TLS = "tls"
    AUTH = "auth"
    TIMEOUT = "timeout"
    FOLDER = "imap_folder"
    OK = "ok"


@dataclass
class CheckResult:
    protocol: str
    ok: bool
    stage: str
    message: str
    server_reply: str = ""
    hint: str = ""

    def as_dict(self) -> dict:
        return storable_fields(self)  # a server's reply is the server's choice of bytes


def _fail(protocol: str, stage: str, message: str, reply: str = "", hint: str = "") -> CheckResult:
    return CheckResult(protocol, False, stage, message, reply, hint)


def _timed_out(protocol: str, timeout: float, stage: str) -> CheckResult:
    return _fail(
        protocol,
        Stage.TIMEOUT,
        _("The %(protocol)s server did not answer within %(s)s seconds (while at: %(stage)s).")
        % {"protocol": protocol.upper(), "s": int(timeout), "stage": stage},
    )


def _reply(code: int | None, text: bytes | str | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip() if code else (text or "")


def _auth_hint(mailbox: Mailbox) -> str:
    return str(PRESETS.get(mailbox.provider, PRESETS["custom"]).auth_hint)


def _tls_hint(port: int) -> str:
    return _(
        "Port 465 normally uses SSL/TLS and port 587 STARTTLS; port %(port)s may need the other."
    ) % {"port": port}


def _resolve(protocol: str, host: str, port: int, security: str) -> list[str] | CheckResult:
    """Resolve and check the host; a CheckResult says why it cannot be used."""
    if not host:
        return CheckResult(protocol, False, Stage.DNS, _("No host is set."))
    try:
        addresses = network.resolve(host, port)
    except (socket.gaierror, UnicodeError):
        return CheckResult(
            protocol,
            False,
            Stage.DNS,
            _("The host %(host)s could not be found.") % {"host": host},
            hint=_("Check the spelling of the server name."),
        )
    try:
        network.guard(host, addresses)
    except network.HostNotAllowed as exc:
        return CheckResult(protocol, False, Stage.BLOCKED, str(exc))
    if security == Security.NONE and not (
        settings.MAILBOX_ALLOW_PLAINTEXT and network.is_loopback(addresses)
    ):
        return CheckResult(
            protocol,
            False,
            Stage.TLS,
            _("Unencrypted connections are only allowed to this machine in development."),
            hint=_("Choose SSL/TLS or STARTTLS."),
        )
    return addresses


def _secret_refused(protocol: str, exc: SecretNotBound) -> CheckResult:
    return _fail(
        protocol,
        Stage.SECRET,
        str(exc),
        hint=_("Edit the mailbox and type the password again: it is then kept for this server."),
    )


def check_smtp(mailbox: Mailbox, *, timeout: float | None = None) -> CheckResult:
    timeout = timeout or settings.MAILBOX_CONNECT_TIMEOUT
    host, port, security = mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security
    try:
        username, password = mailbox.smtp_credentials  # before anything reaches the host
    except SecretNotBound as exc:
        return _secret_refused("smtp", exc)
    resolved = _resolve("smtp", host, port, security)
    if isinstance(resolved, CheckResult):
        return resolved
    stage = Stage.CONNECT
    context = network.tls_context()
    try:
        if security == Security.SSL:
            stage = Stage.TLS
            client = network.PinnedSMTPSSL(resolved[0], host, timeout=timeout, context=context)
        else:
            client = network.PinnedSMTP(resolved[0], host, timeout=timeout)
        code, banner = client.connect(host, port)
        if code != 220:
            return _fail(
                "smtp",
                Stage.CONNECT,
                _("The server refused the connection."),
                _reply(code, banner),
            )
        try:
            stage = Stage.CONNECT
            client.ehlo()
            if security == Security.STARTTLS:
                stage = Stage.TLS
                if not client.has_extn("starttls"):
                    return _fail(
                        "smtp",
                        Stage.TLS,
                        _("The server does not offer STARTTLS."),
                        hint=_tls_hint(port),
                    )
                client.starttls(context=context)
                client.ehlo()
            stage = Stage.AUTH
            client.login(username, password)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        return _fail(
            "smtp",
            Stage.AUTH,
            _("The server rejected the username or password."),
            _reply(exc.smtp_code, exc.smtp_error),
            _auth_hint(mailbox),
        )
    except smtplib.SMTPNotSupportedError:
        return _fail(
            "smtp",
            Stage.AUTH,
            _("The server does not offer authentication here."),
            hint=_tls_hint(port),
        )
    except TimeoutError:
        return _timed_out("smtp", timeout, stage)
    except ssl.SSLError as exc:
        return _fail(
            "smtp",
            Stage.TLS,
            _("The secure connection failed."),
            exc.reason or str(exc),
            _tls_hint(port),
        )
    except smtplib.SMTPResponseException as exc:
        return _fail(
            "smtp",
            stage,
            _("The server answered with an error."),
            _reply(exc.smtp_code, exc.smtp_error),
        )
    except (smtplib.SMTPException, OSError) as exc:
        if "timed out" in str(exc):  # smtplib turns a read timeout into SMTPServerDisconnected
            return _timed_out("smtp", timeout, stage)
        return _fail(
            "smtp",
            stage if stage != Stage.AUTH else Stage.CONNECT,
            _("Could not talk to %(host)s:%(port)s.") % {"host": host, "port": port},
            str(exc),
        )
    return CheckResult("smtp", True, Stage.OK, _("SMTP sign-in works."))


_BYTES_LITERAL = re.compile(r"""(?<!\w)b('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _as_text(literal: re.Match) -> str:
    try:
        return ast.literal_eval(literal.group(0)).decode("utf-8", "replace")
    except (ValueError, SyntaxError, AttributeError):
        return literal.group(0)


def imap_error_text(exc: BaseException) -> str:
    """An IMAP error in the server's own words: imaplib hands replies over as bytes, so its
    errors (and imapclient's LoginError) read `b'[AUTHENTICATIONFAILED] …'` as strings."""
    return storable(_BYTES_LITERAL.sub(_as_text, str(exc))).strip()


def imap_open(mailbox: Mailbox, *, address: str, timeout: float, on_stage=lambda stage: None):
    """A signed-in IMAP client, connected to `address` (the host's address resolved and
    allowed by `imap_resolve`: the name is not looked up again). Raises SecretNotBound, before
    connecting, when the password was entered for another server."""
    username, password = mailbox.imap_credentials
    security = mailbox.imap_security
    context = network.tls_context()
    client = network.PinnedIMAPClient(
        address,
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=security == Security.SSL,
        ssl_context=context,
        timeout=timeout,
    )
    try:
        if security == Security.STARTTLS:
            on_stage(Stage.TLS)
            client.starttls(context)
        on_stage(Stage.AUTH)
        client.login(username, password)
    except BaseException:
        client.shutdown()
        raise
    return client


def imap_resolve(mailbox: Mailbox) -> list[str] | CheckResult:
    """The IMAP host's checked addresses (connect to one of these); else why it cannot be used."""
    return _resolve("imap", mailbox.imap_host, mailbox.imap_port, mailbox.imap_security)


def check_imap(mailbox: Mailbox, *, timeout: float | None = None) -> CheckResult:
    timeout = timeout or settings.MAILBOX_CONNECT_TIMEOUT
    host, port, security = mailbox.imap_host, mailbox.imap_port, mailbox.imap_security
    if not mailbox.imap_secret_matches():
        return _secret_refused("imap", SecretNotBound(mailbox.imap_destination))
    resolved = imap_resolve(mailbox)
    if isinstance(resolved, CheckResult):
        return resolved
    stages = [Stage.TLS if security == Security.SSL else Stage.CONNECT]
    try:
        client = imap_open(
            mailbox, address=resolved[0], timeout=timeout, on_stage=lambda s: stages.append(s)
        )
        try:
            stages.append(Stage.FOLDER)
            client.select_folder("INBOX", readonly=True)
        finally:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                client.shutdown()
    except LoginError as exc:
        return _fail(
            "imap",
            Stage.AUTH,
            _("The IMAP server rejected the username or password."),
            imap_error_text(exc),
            _auth_hint(mailbox),
        )
    except TimeoutError:
        return _timed_out("imap", timeout, stages[-1])
    except ssl.SSLError as exc:
        return _fail(
            "imap",
            Stage.TLS,
            _("The secure IMAP connection failed."),
            exc.reason or str(exc),
            _("Port 993 normally uses SSL/TLS and 143 STARTTLS."),
        )
    except IMAPClientError as exc:
        if stages[-1] == Stage.FOLDER:
            return _fail(
                "imap",
                Stage.FOLDER,
                _("Signed in, but the INBOX folder could not be opened."),
                imap_error_text(exc),
            )
        return _fail(
            "imap", stages[-1], _("The IMAP server answered with an error."), imap_error_text(exc)
        )
    except OSError as exc:
        return _fail(
            "imap",
            Stage.CONNECT,
            _("Could not talk to %(host)s:%(port)s.") % {"host": host, "port": port},
            str(exc),
        )
    return CheckResult("imap", True, Stage.OK, _("IMAP sign-in and INBOX work."))
