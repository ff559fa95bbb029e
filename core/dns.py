"""DNS lookups: one resolver built from settings; "no record" told apart from "no answer"."""

from __future__ import annotations

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    host, port = entry, 53
    if entry.startswith("["):  # [2001:db8::1]:5353
        host, _sep, rest = entry[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
        port = int(port_text)
    return dns.nameserver.Do53Nameserver(host, port)


def make_resolver(nameservers: list[str] | None = None) -> dns.resolver.Resolver:
    """A resolver asking `nameservers` (default: DNS_NAMESERVERS; empty: the system's)."""
    nameservers = settings.DNS_NAMESERVERS if nameservers is None else nameservers
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(e) for e in nameservers]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = resolver.lifetime = float(settings.DNS_TIMEOUT)
    return resolver


class LookupFailed(Exception):
    """The DNS did not answer (timeout, SERVFAIL, no server): not the same as "no record"."""


def query(resolver, name: str, rdtype: str) -> list | None:
    """Answers, or None when the name or the type does not exist."""
    try:
        return list(resolver.resolve(name, rdtype, search=False))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    except (dns.exception.DNSException, OSError) as exc:
        raise LookupFailed(str(exc) or exc.__class__.__name__) from exc


def txt(rdata) -> str:
    return b"".join(rdata.strings).decode("utf-8", "replace")
