"""Reaching hosts users chose, safely: the SSRF guard (`resolve_checked`) and connections pinned
to the address that was checked (SMTP, IMAP, any socket: `pinned_connection`)."""

from __future__ import annotations

import functools
import ipaddress
import smtplib
import socket
import ssl

import imapclient
from django.conf import settings
from django.utils.translation import gettext as _
from imapclient import imap4, tls


class HostNotAllowed(Exception):
    """The host resolves to an address users may not make the server connect to."""


def resolve(host: str, port: int, *, nameservers: list[str] | None = None) -> list[str]:
    """All addresses of `host` (raises socket.gaierror when it does not resolve), from the
    system's resolver, or from `nameservers` when given (default: MAILBOX_DNS_NAMESERVERS, for
    the mail servers users name; webhooks pass DNS_NAMESERVERS)."""
    host = host.strip()
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    if nameservers is None:
        nameservers = settings.MAILBOX_DNS_NAMESERVERS
    if nameservers:
        return _resolve_with_nameservers(host, nameservers)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _resolve_with_nameservers(host: str, nameservers: list[str]) -> list[str]:
    import dns.exception
    import dns.resolver

    from core.dns import make_resolver

    resolver = make_resolver(nameservers)
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            addresses += [r.address for r in resolver.resolve(host, rdtype, search=False)]
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
            continue
        except (dns.exception.DNSException, ValueError) as exc:
            raise socket.gaierror(str(exc)) from exc
    if not addresses:
        raise socket.gaierror(f"{host} has no address")
    return list(dict.fromkeys(addresses))


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that `is_global` lets through but that can still lead inside: 6to4 (2002::/16) and
# NAT64 (64:ff9b::/96, 64:ff9b:1::/48) carry an IPv4 address of the gateway's choosing;
# fec0::/10 is the deprecated site-local range, routed inside some networks still.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(n) for n in ("2002::/16", "64:ff9b::/96", "64:ff9b:1::/48", "fec0::/10")
)


def is_public(ip: IPAddress) -> bool:
    """Only globally routable addresses: not loopback, private, link-local (169.254.169.254,
    the cloud metadata service), carrier-grade NAT (100.64.0.0/10, e.g. 100.100.100.200),
    benchmarking, documentation, multicast, reserved, 6to4, NAT64 or site-local."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not ip.is_global or ip.is_multicast:
        return False
    return not any(ip in network for network in _NOT_PUBLIC)


def _allowlisted(host: str, ip: IPAddress) -> bool:
    for entry in settings.MAILBOX_HOST_ALLOWLIST:
        if entry.lower().rstrip(".") == host.lower().rstrip("."):
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def guard(host: str, addresses: list[str]) -> None:
    """Refuse the host if any of its addresses is not public, unless development or the
    operator's allow-list (MAILBOX_HOST_ALLOWLIST: host names or networks) allows it."""
    if settings.MAILBOX_ALLOW_PRIVATE_NETWORKS:
        return
    if not addresses:
        raise HostNotAllowed(_("%(host)s has no address.") % {"host": host})
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope id is not an address
        if not is_public(ip) and not _allowlisted(host, ip):
            raise HostNotAllowed(
                _("%(host)s points to an internal address (%(ip)s), which is not allowed.")
                % {"host": host, "ip": address}
            )


def resolve_checked(host: str, port: int, *, nameservers: list[str] | None = None) -> list[str]:
    """THE entry point for any connection to a host a user chose (mail servers, webhook URLs,
    OAuth endpoints): resolve the name once, check every address it has, and return them.
    Connect to one of the returned addresses — never to the name again, which could resolve
    somewhere else the second time (DNS rebinding) — and give the name only to TLS (SNI and
    certificate check) and to the protocol (e.g. the HTTP Host header).

    Raises HostNotAllowed (a message fit to show the user) when the name does not resolve or
    any of its addresses is not public and not allow-listed. `nameservers`: as for `resolve`."""
    host = (host or "").strip()
    if not host:
        raise HostNotAllowed(_("No host is set."))
    try:
        addresses = resolve(host, port, nameservers=nameservers)
    except (OSError, UnicodeError) as exc:
        raise HostNotAllowed(_("The host %(host)s could not be found.") % {"host": host}) from exc
    guard(host, addresses)
    return addresses


def pinned_connection(
    host: str, port: int, *, timeout: float, source_address=None
) -> socket.socket:
    """A TCP connection to `host` made through `resolve_checked` (for HTTP clients and other
    protocols that accept a ready socket): the first checked address that answers."""
    error: OSError | None = None
    for address in resolve_checked(host, port):
        try:
            return socket.create_connection((address, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error  # type: ignore[misc]


def is_loopback(addresses: list[str]) -> bool:
    return all(ipaddress.ip_address(a).is_loopback for a in addresses)


def tls_context() -> ssl.SSLContext:
    """The verifying client context; built once per CA setting (loading the system's CA store
    costs ~20 ms, once per SMTP session otherwise)."""
    return _tls_context(settings.MAILBOX_TLS_CA_FILE)


@functools.lru_cache(maxsize=4)
def _tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


class _Pinned:
    """Connect to an address resolved (and checked) beforehand, so DNS cannot change it."""

    pinned_address: str

    def _connect_pinned(self, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self.pinned_address, port), timeout, self.source_address)


class PinnedSMTP(_Pinned, smtplib.SMTP):
    def __init__(self, address: str, server_name: str, **kwargs):
        self.pinned_address = address
        super().__init__(**kwargs)
        self._host = server_name  # what STARTTLS checks the certificate against

    def _get_socket(self, host, port, timeout):
        return self._connect_pinned(port, timeout)


class PinnedSMTPSSL(_Pinned, smtplib.SMTP_SSL):
    def __init__(self, address: str, server_name: str, **kwargs):
        self.pinned_address = address
        super().__init__(**kwargs)
        self._host = server_name

    def _get_socket(self, host, port, timeout):
        # self._host is the name, so the certificate is checked against it.
        return self.context.wrap_socket(
            self._connect_pinned(port, timeout), server_hostname=self._host
        )


class _PinnedIMAP4(imap4.IMAP4WithTimeout):
    """Plain IMAP (STARTTLS comes later) to the checked address; `host` stays the name."""

    def __init__(self, address: str, host: str, port: int, timeout: float | None):
        self.pinned_address = address
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout=None):
        return socket.create_connection(
            (self.pinned_address, self.port), timeout if timeout is not None else self._timeout
        )


class _PinnedIMAP4TLS(tls.IMAP4_TLS):
    """Implicit-TLS IMAP to the checked address; the certificate is checked against the name."""

    def __init__(self, address: str, host: str, port: int, ssl_context, timeout):
        self.pinned_address = address
        super().__init__(host, port, ssl_context, timeout)

    def _create_socket(self, timeout=None):
        sock = socket.create_connection((self.pinned_address, self.port), timeout=timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)


class PinnedIMAPClient(imapclient.IMAPClient):
    """An IMAPClient that connects to an address resolved (and checked) beforehand."""

    def __init__(self, address: str, host: str, **kwargs):
        self.pinned_address = address
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _PinnedIMAP4TLS(
                self.pinned_address, self.host, self.port, self.ssl_context, connect_timeout
            )
        return _PinnedIMAP4(self.pinned_address, self.host, self.port, connect_timeout)
