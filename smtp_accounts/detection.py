"""Which provider hosts an address: known consumer domains first, then the domain's MX records."""

from __future__ import annotations

from core.dns import LookupFailed, make_resolver, query
from smtp_accounts.presets import PRESETS, Preset, preset_for_mx

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
