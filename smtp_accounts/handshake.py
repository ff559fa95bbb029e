"""Signing in to a mailbox's servers, written once for the sender, the connection test and the
inbox sync.

SMTP: the host is resolved and checked (SSRF guard), the connection goes to the checked address
(so DNS cannot change it in between), then EHLO, STARTTLS (or implicit SSL/TLS), EHLO again and
AUTH — by password (smtplib's LOGIN/PLAIN) or by `AUTH XOAUTH2` with an OAuth access token.
IMAP: LOGIN or `AUTHENTICATE XOAUTH2` likewise.

A secret goes only to the host it belongs to: a password only to the server (host, port,
security, username) it was entered for (core/secret_binding.py: else `HostRefused` at stage
"secret", before any connection), an OAuth token only to its provider's own SMTP and IMAP hosts
(`oauth.providers`), whatever the mailbox row says. IMAP, like SMTP, connects to the address
that was checked: the name is not looked up again (DNS rebinding).

Errors are the libraries' own (smtplib, ssl, imapclient) plus `HostRefused` (the host cannot be
used) and `CredentialsUnavailable` (no usable OAuth token); each caller turns them into its own
vocabulary (a CheckResult, a MailboxUnavailable, a SyncError).
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import imapclient
from django.conf import settings
from django.utils.translation import gettext as _

from core.secret_binding import SecretNotBound
from smtp_accounts import network
from smtp_accounts.models import Mailbox, Security


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


class HostRefused(Exception):
    """The host cannot be used: unknown, internal, or unencrypted off this machine."""

    def __init__(self, stage: str, message: str, hint: str = ""):
        super().__init__(message)
        self.stage, self.message, self.hint = stage, message, hint


class CredentialsUnavailable(Exception):
    """No usable secret to sign in with (an OAuth grant revoked, or its provider unreachable).
    `temporary`: worth trying again later (provider outage), not a reason to pause."""

    def __init__(self, message: str, *, temporary: bool = False):
        super().__init__(message)
        self.message, self.temporary = message, temporary

    def __reduce__(self):  # crosses to the SMTP helper process inside a Mailbox
        return (_unavailable, (self.message, self.temporary))


def _unavailable(message: str, temporary: bool) -> CredentialsUnavailable:
    return CredentialsUnavailable(message, temporary=temporary)


@dataclass(frozen=True)
class Credentials:
    username: str
    secret: str = field(repr=False)
    xoauth2: bool = False

    def xoauth2_string(self) -> str:
        """The SASL XOAUTH2 initial response (Google's and Microsoft's format)."""
        return f"user={self.username}\x01auth=Bearer {self.secret}\x01\x01"


def checked_addresses(host: str, port: int, security: str) -> list[str]:
    """The host's addresses once resolved and allowed; HostRefused says why not."""
    if not host:
        raise HostRefused(Stage.DNS, _("No host is set."))
    try:
        addresses = network.resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostRefused(
            Stage.DNS,
            _("The host %(host)s could not be found.") % {"host": host},
            _("Check the spelling of the server name."),
        ) from exc
    try:
        network.guard(host, addresses)
    except network.HostNotAllowed as exc:
        raise HostRefused(Stage.BLOCKED, str(exc)) from exc
    if security == Security.NONE and not (
        settings.MAILBOX_ALLOW_PLAINTEXT and network.is_loopback(addresses)
    ):
        raise HostRefused(
            Stage.TLS,
            _("Unencrypted connections are only allowed to this machine in development."),
            _("Choose SSL/TLS or STARTTLS."),
        )
    return addresses


def credentials(mailbox: Mailbox, protocol: str) -> Credentials:
    """What to sign in with: the password, or the OAuth access token (refreshed if due).

    A worker prepares the token before handing a batch to the SMTP helper process
    (`oauth.tokens.mailbox_prepare_access`), which must not touch the database."""
    if not mailbox.oauth_provider:
        try:
            if protocol == "smtp":
                return Credentials(*mailbox.smtp_credentials)
            return Credentials(*mailbox.imap_credentials)
        except SecretNotBound as exc:
            raise HostRefused(
                Stage.SECRET,
                str(exc),
                _("Edit the mailbox and type the password again: it is then kept for this server."),
            ) from exc
    from smtp_accounts.oauth.tokens import mailbox_prepare_access

    access = getattr(mailbox, "oauth_access", None)
    if access is None:
        access = mailbox_prepare_access(mailbox=mailbox)
    if isinstance(access, CredentialsUnavailable):
        raise access
    _bound_to_provider(mailbox, protocol)
    return Credentials(mailbox.email, access, xoauth2=True)


def _bound_to_provider(mailbox: Mailbox, protocol: str) -> None:
    """An OAuth token goes only to its own provider's mail host."""
    from smtp_accounts.oauth.providers import provider_config

    provider = provider_config(mailbox.oauth_provider)
    host, port = (
        (mailbox.smtp_host, mailbox.smtp_port)
        if protocol == "smtp"
        else (mailbox.imap_host, mailbox.imap_port)
    )
    expected = provider.smtp if protocol == "smtp" else provider.imap
    if (host.lower(), port) != (expected.host.lower(), expected.port):
        raise HostRefused(
            Stage.AUTH,
            _("This mailbox's %(provider)s sign-in is only sent to %(host)s:%(port)s.")
            % {"provider": provider.label, "host": expected.host, "port": expected.port},
        )


def _nothing(stage: str) -> None:
    pass


def smtp_open(
    mailbox: Mailbox, *, timeout: float, on_stage: Callable[[str], None] = _nothing
) -> smtplib.SMTP:
    """A signed-in SMTP session to the mailbox's server. Raises HostRefused,
    CredentialsUnavailable, smtplib.SMTPConnectError (a greeting other than 220),
    SMTPNotSupportedError (no STARTTLS), SMTPAuthenticationError, ssl.SSLError, OSError."""
    host, port, security = mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security
    addresses = checked_addresses(host, port, security)
    login = credentials(mailbox, "smtp")  # before connecting: nothing to say without it
    context = network.tls_context()
    on_stage(Stage.TLS if security == Security.SSL else Stage.CONNECT)
    if security == Security.SSL:
        client = network.PinnedSMTPSSL(addresses[0], host, timeout=timeout, context=context)
    else:
        client = network.PinnedSMTP(addresses[0], host, timeout=timeout)
    try:
        code, banner = client.connect(host, port)
        if code != 220:
            raise smtplib.SMTPConnectError(code, banner)
        on_stage(Stage.CONNECT)
        client.ehlo()
        if security == Security.STARTTLS:
            on_stage(Stage.TLS)
            if not client.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server.")
            client.starttls(context=context)
            client.ehlo()
        on_stage(Stage.AUTH)
        smtp_authenticate(client, login)
    except BaseException:
        client.close()
        raise
    return client


def smtp_authenticate(client: smtplib.SMTP, login: Credentials) -> None:
    if not login.xoauth2:
        client.login(login.username, login.secret)
        return
    # An error comes as a 334 challenge holding a JSON status; the client answers with an
    # empty line and the server then says 535 (Google's documented exchange).
    client.auth(
        "XOAUTH2",
        lambda challenge=None: login.xoauth2_string() if challenge is None else "",
        initial_response_ok=True,
    )


def imap_open(
    mailbox: Mailbox,
    *,
    timeout: float,
    on_stage: Callable[[str], None] = _nothing,
    login: Credentials | None = None,
) -> imapclient.IMAPClient:
    """A signed-in IMAP client, connected to the address the SSRF guard checked (the name is
    resolved once, here). `login`: the mailbox's `credentials` when the caller has them already.
    Raises HostRefused, CredentialsUnavailable, imapclient's errors, ssl.SSLError, OSError."""
    security = mailbox.imap_security
    addresses = checked_addresses(mailbox.imap_host, mailbox.imap_port, security)
    login = login or credentials(mailbox, "imap")
    client = network.PinnedIMAPClient(
        addresses[0],
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=security == Security.SSL,
        ssl_context=network.tls_context(),
        timeout=timeout,
    )
    try:
        if security == Security.STARTTLS:
            on_stage(Stage.TLS)
            client.starttls(network.tls_context())
        on_stage(Stage.AUTH)
        if login.xoauth2:
            client.oauth2_login(login.username, login.secret)
        else:
            client.login(login.username, login.secret)
    except BaseException:
        client.shutdown()
        raise
    return client
