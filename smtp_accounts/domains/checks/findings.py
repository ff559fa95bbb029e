"""What a domain check finds: each finding is data (a level, a plain-language title and
detail, the fix and, where there is one, the exact record to publish), stored as JSON."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.text import storable_fields
from smtp_accounts.presets import PRESETS

OK, WARNING, ERROR = "ok", "warning", "error"
SEVERITY = {OK: 0, WARNING: 1, ERROR: 2}


@dataclass(kw_only=True)
class Finding:
    key: str  # stable identity across runs, e.g. "spf", "dkim:google", "blocklist:zen:192.0.2.1"
    check: str  # mx / spf / dkim / dmarc / blocklist
    level: str
    title: str
    detail: str = ""
    fix: str = ""
    record_type: str = ""
    record_name: str = ""
    record_value: str = ""
    transient: bool = False  # the lookup failed; says nothing about the domain itself

    def as_dict(self) -> dict:
        """As stored (JSON): DNS text is bytes anyone may publish, and PostgreSQL refuses a NUL
        in JSON text (quoted in an error, it would fail the domain's check every day)."""
        return storable_fields(self)


@dataclass
class DomainReport:
    domain: str
    findings: list[Finding] = field(default_factory=list)
    dkim_published: dict[str, str] = field(default_factory=dict)  # selector -> p= value

    @property
    def level(self) -> str:
        return max((f.level for f in self.findings), key=SEVERITY.__getitem__, default=OK)


def could_not_check(key: str, check: str, what: str, exc: Exception) -> Finding:
    return Finding(
        key=key,
        check=check,
        level=WARNING,
        title=_("Could not check %(what)s") % {"what": what},
        detail=_("The DNS lookup failed: %(error)s. It is tried again at the next check.")
        % {"error": exc},
        transient=True,
    )


def providers_of(provider_keys: Iterable[str]):
    return [PRESETS[k] for k in sorted(set(provider_keys)) if k in PRESETS and k != "custom"]
