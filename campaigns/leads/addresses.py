"""Email address validation for bulk work: email-validator's rules, with a fast path.

email-validator checks every domain with IDNA/UTS-46 rules, ~40 µs an address. Imports see the
same domains again and again, and most addresses are plain ASCII: those are matched against a
strict subset of the dot-atom syntax and their domain is validated (by email-validator) once
and cached. Everything else goes to email-validator whole, which also words the error.
"""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

__all__ = ["EmailNotValidError", "normalize_address"]

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
