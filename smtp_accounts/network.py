"""Resolving users' mail hosts safely: the SSRF guard and IP-pinned SMTP connections."""

from __future__ import annotations

import functools
import ipaddress
import smtplib
import socket
import ssl

from django.conf import settings
from django.utils.translation import gettext as _


class HostNotAllowed(Exception):
    """The host resolves to an address users may not make the server connect to."""


def resolve(host: str, port: int) -> list[str]:
    """All addresses of `host` (raises socket.gaierror when it does not resolve)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local  # includes 169.254.169.254, the cloud metadata service
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        # What is none of the above and still not the public internet: the shared address
        # space (100.64.0.0/10: carrier-grade NAT, Alibaba Cloud's metadata at 100.100.100.200),
        # benchmarking and documentation ranges, NAT64 of an internal address…
        or not ip.is_global
    )


def _allowlisted(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    for entry in settings.MAILBOX_HOST_ALLOWLIST:
        if entry.lower() == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def guard(host: str, addresses: list[str]) -> None:
    """Refuse internal addresses unless development or the operator allows them."""
    if settings.MAILBOX_ALLOW_PRIVATE_NETWORKS:
        return
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if _forbidden(ip) and not _allowlisted(host, ip):
            raise HostNotAllowed(
                _("%(host)s points to an internal address (%(ip)s), which is not allowed.")
                % {"host": host, "ip": address}
            )


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
