"""DNS lookups for mailboxes: one resolver built from settings, and provider detection by MX."""

from __future__ import annotations

import dns.exception
import dns.nameserver
import dns.resolver
from django.conf import settings

from smtp_accounts.presets import PRESETS, Preset, preset_for_mx

# --- Resolver -------------------------------------------------------------------------------------


def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    host, port = entry, 53
    if entry.startswith("["):  # [2001:db8::1]:5353
        host, _sep, rest = entry[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
        port = int(port_text)
    return dns.nameserver.Do53Nameserver(host, port)


def make_resolver() -> dns.resolver.Resolver:
    if settings.DNS_NAMESERVERS:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(e) for e in settings.DNS_NAMESERVERS]
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


# --- Provider detection -----------------------------------------------------------------------

# Consumer domains whose provider is known without asking the DNS.
FREEMAIL = {
    "gmail.com": "google",
    "googlemail.com": "google",
    "outlook.com": "microsoft",
    "hotmail.com": "microsoft",
    "live.com": "microsoft",
    "msn.com": "microsoft",
    "yahoo.com": "yahoo",
    "ymail.com": "yahoo",
    "zoho.com": "zoho",
    "zohomail.com": "zoho",
}


def detect_preset(email: str, resolver=None) -> tuple[Preset | None, list[str]]:
    """The provider hosting an address, from its domain or its MX records, and those MX hosts.

    None when the domain has no MX of a known provider, or the DNS does not answer.
    """
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain or "." not in domain:
        return None, []
    if domain in FREEMAIL:
        return PRESETS[FREEMAIL[domain]], []
    try:
        answers = query(resolver or make_resolver(), domain, "MX") or []
    except (LookupFailed, ValueError):
        return None, []
    hosts = [a.exchange.to_text().rstrip(".").lower() for a in answers]
    preset = preset_for_mx(hosts)
    return (None if preset.key == "custom" else preset), hosts
