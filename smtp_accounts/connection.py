"""Connection test: real SMTP (EHLO, STARTTLS, AUTH) and IMAP (LOGIN, SELECT INBOX), through
the one handshake (`handshake.py`) the sender and the inbox sync use.

The result names the stage that failed, shows the server's own reply, and adds a hint.
"""

from __future__ import annotations

import ast
import re
import smtplib
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from imapclient.exceptions import IMAPClientError, LoginError

from core.text import storable, storable_fields
from smtp_accounts.handshake import (
    CredentialsUnavailable,
    HostRefused,
    Stage,
    checked_addresses,
    imap_open,
    smtp_open,
)
from smtp_accounts.models import Mailbox, Security
from smtp_accounts.presets import BASIC_AUTH_DISABLED_HINT, PRESETS, basic_auth_disabled

__all__ = ["CheckResult", "Stage", "check_imap", "check_smtp", "imap_open", "imap_resolve"]


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


def _auth_hint(mailbox: Mailbox, reply: str = "") -> str:
    if mailbox.oauth_provider:
        return _("Reconnect the mailbox with its provider.")
    if basic_auth_disabled(reply):
        return str(BASIC_AUTH_DISABLED_HINT)
    return str(PRESETS.get(mailbox.provider, PRESETS["custom"]).auth_hint)


def _tls_hint(port: int) -> str:
    return _(
        "Port 465 normally uses SSL/TLS and port 587 STARTTLS; port %(port)s may need the other."
    ) % {"port": port}


def _refused(protocol: str, exc: HostRefused) -> CheckResult:
    return CheckResult(protocol, False, exc.stage, exc.message, hint=exc.hint)


def _no_credentials(protocol: str, exc: CredentialsUnavailable) -> CheckResult:
    hint = "" if exc.temporary else _("Reconnect the mailbox with its provider.")
    return _fail(protocol, Stage.AUTH, exc.message, hint=hint)


def check_smtp(mailbox: Mailbox, *, timeout: float | None = None) -> CheckResult:
    timeout = timeout or settings.MAILBOX_CONNECT_TIMEOUT
    host, port = mailbox.smtp_host, mailbox.smtp_port
    stages = [Stage.CONNECT]
    try:
        client = smtp_open(mailbox, timeout=timeout, on_stage=stages.append)
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
    except HostRefused as exc:
        return _refused("smtp", exc)
    except CredentialsUnavailable as exc:
        return _no_credentials("smtp", exc)
    except smtplib.SMTPConnectError as exc:
        return _fail(
            "smtp",
            Stage.CONNECT,
            _("The server refused the connection."),
            _reply(exc.smtp_code, exc.smtp_error),
        )
    except smtplib.SMTPAuthenticationError as exc:
        return _fail(
            "smtp",
            Stage.AUTH,
            _("The server rejected the sign-in.")
            if mailbox.oauth_provider
            else _("The server rejected the username or password."),
            _reply(exc.smtp_code, exc.smtp_error),
            _auth_hint(mailbox, _reply(exc.smtp_code, exc.smtp_error)),
        )
    except smtplib.SMTPNotSupportedError:
        if stages[-1] == Stage.TLS:
            return _fail(
                "smtp", Stage.TLS, _("The server does not offer STARTTLS."), hint=_tls_hint(port)
            )
        return _fail(
            "smtp",
            Stage.AUTH,
            _("The server does not offer authentication here."),
            hint=_tls_hint(port),
        )
    except TimeoutError:
        return _timed_out("smtp", timeout, stages[-1])
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
            stages[-1],
            _("The server answered with an error."),
            _reply(exc.smtp_code, exc.smtp_error),
        )
    except (smtplib.SMTPException, OSError) as exc:
        if "timed out" in str(exc):  # smtplib turns a read timeout into SMTPServerDisconnected
            return _timed_out("smtp", timeout, stages[-1])
        return _fail(
            "smtp",
            stages[-1] if stages[-1] != Stage.AUTH else Stage.CONNECT,
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


def imap_resolve(mailbox: Mailbox) -> CheckResult | None:
    """None when the IMAP host may be used; else why not."""
    try:
        checked_addresses(mailbox.imap_host, mailbox.imap_port, mailbox.imap_security)
    except HostRefused as exc:
        return _refused("imap", exc)
    return None


def check_imap(mailbox: Mailbox, *, timeout: float | None = None) -> CheckResult:
    timeout = timeout or settings.MAILBOX_CONNECT_TIMEOUT
    host, port, security = mailbox.imap_host, mailbox.imap_port, mailbox.imap_security
    stages = [Stage.TLS if security == Security.SSL else Stage.CONNECT]
    try:
        client = imap_open(mailbox, timeout=timeout, on_stage=stages.append)
        try:
            stages.append(Stage.FOLDER)
            client.select_folder("INBOX", readonly=True)
        finally:
            try:
                client.logout()
            except (IMAPClientError, OSError):
                client.shutdown()
    except HostRefused as exc:
        return _refused("imap", exc)
    except CredentialsUnavailable as exc:
        return _no_credentials("imap", exc)
    except LoginError as exc:
        return _fail(
            "imap",
            Stage.AUTH,
            _("The IMAP server rejected the sign-in.")
            if mailbox.oauth_provider
            else _("The IMAP server rejected the username or password."),
            imap_error_text(exc),
            _auth_hint(mailbox, imap_error_text(exc)),
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
