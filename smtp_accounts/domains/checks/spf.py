"""SPF: is every sending provider authorised, within the 10-lookup limit (checkdmarc parses)."""

from __future__ import annotations

from collections.abc import Iterable

import checkdmarc.spf
from django.utils.translation import gettext as _

from core.dns import query
from smtp_accounts.domains.checks.findings import (
    ERROR,
    OK,
    WARNING,
    Finding,
    could_not_check,
    providers_of,
)


def _authorises(term: str, include: str) -> bool:
    """Whether an SPF term passes the include's servers (`include:` or `+include:`; `-`, `~`
    and `?` do not)."""
    return term.lower().removeprefix("+") == f"include:{include.lower()}"


def spf_record_with(record: str, *, include: str = "", all_qualifier: str = "") -> str:
    """The record with an include added (before any modifier) and/or its `all` replaced."""
    terms = record.split()[1:]
    alls = [t for t in terms if t.lstrip("+-~?").lower() == "all"]
    rest = [t for t in terms if t not in alls]
    if include and not any(_authorises(t, include) for t in rest):
        at = next((i for i, t in enumerate(rest) if "=" in t), len(rest))
        rest.insert(at, f"include:{include}")
    return " ".join(["v=spf1", *rest, *([all_qualifier] if all_qualifier else alls)])


def _reaches(parsed: dict | None, include: str, depth: int = 0) -> bool:
    """Whether a parsed record (checkdmarc's) passes the include's servers: through an include
    of it, one nested in includes that pass, or a redirect's record. Many domains keep their
    senders in a record of their own (`include:_spf.example.com`) that includes the provider."""
    if not parsed or depth > 10:  # the lookup limit bounds real nesting well below this
        return False
    for mechanism in parsed.get("mechanisms") or []:
        if mechanism.get("mechanism") != "include" or mechanism.get("action") != "pass":
            continue
        value = str(mechanism.get("value") or "").lower().rstrip(".")
        if value == include.lower() or _reaches(mechanism.get("parsed"), include, depth + 1):
            return True
    redirect = parsed.get("redirect")
    return isinstance(redirect, dict) and _reaches(redirect.get("parsed"), include, depth + 1)


def _lookups_of(resolver, include: str) -> int | None:
    """The DNS lookups an include costs a record that adds it (itself and what it includes),
    or None if its record cannot be read now."""
    try:
        result = checkdmarc.spf.check_spf(include, resolver=resolver, timeout=resolver.lifetime)
    except Exception:  # noqa: BLE001 - the cost is advice; the finding stands without it
        return None
    lookups = result.get("dns_lookups")
    return None if result.get("error") or lookups is None else 1 + lookups


def _missing_include(resolver, domain: str, record: str, include: str, lookups) -> Finding:
    """The provider's servers are not in the record: the record with them added, unless that
    would take it past the 10-lookup limit (then receivers would ignore all of it)."""
    cost = _lookups_of(resolver, include) if lookups is not None else None
    detail = _("Your mailboxes on this domain send through servers listed there.")
    fix = _("Replace the SPF record with this one (your other senders are kept).")
    value = spf_record_with(record, include=include)
    if cost is not None and lookups + cost > 10:
        detail += " " + _(
            "Adding it would make the record need %(total)s DNS lookups (%(cost)s of them for "
            "%(include)s); over 10, receivers ignore the whole record."
        ) % {"total": lookups + cost, "cost": cost, "include": include}
        fix = _(
            "First remove includes for services that no longer send for you, or replace them "
            "with their ip4:/ip6: ranges; then add include:%(include)s."
        ) % {"include": include}
        value = ""
    elif cost is not None:
        detail += " " + _("With it the record needs %(total)s of 10 DNS lookups.") % {
            "total": lookups + cost
        }
    return Finding(
        key=f"spf:include:{include}",
        check="spf",
        level=WARNING,
        title=_("SPF does not include %(include)s") % {"include": include},
        detail=detail,
        fix=fix,
        record_type="TXT",
        record_name=domain,
        record_value=value,
    )


def check_spf(resolver, domain: str, provider_keys: Iterable[str] = ()) -> list[Finding]:
    includes = [p.spf_include for p in providers_of(provider_keys) if p.spf_include]
    # Without a known provider there is no record to offer: "v=spf1 ~all" alone authorises
    # no server at all, so publishing it as offered would fail every message.
    fresh = " ".join(["v=spf1", *(f"include:{i}" for i in includes), "~all"]) if includes else ""
    try:
        query(resolver, domain, "TXT")  # tells "the DNS did not answer" from "no record"
        result = checkdmarc.spf.check_spf(domain, resolver=resolver, timeout=resolver.lifetime)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not take the whole check down
        return [could_not_check("spf", "spf", _("SPF"), exc)]
    record = result.get("record")
    error = result.get("error", "")
    warnings = [str(w) for w in result.get("warnings", [])]

    if not record:
        return [
            Finding(
                key="spf",
                check="spf",
                level=ERROR,
                title=_("No SPF record"),
                detail=_(
                    "Without SPF, receivers cannot tell which servers may send as %(domain)s; "
                    "Gmail and Yahoo reject or junk such mail. (%(error)s)"
                )
                % {"domain": domain, "error": error},
                fix=_("Publish this TXT record at the domain itself.")
                if includes
                else _(
                    "Publish a TXT record at the domain that names the servers your mail "
                    "provider sends from: v=spf1, then the include: your provider documents "
                    "(or ip4:/ip6: for your own servers), then ~all. Postigo does not know "
                    "your provider, so it cannot write the record for you."
                ),
                record_type="TXT" if includes else "",
                record_name=domain if includes else "",
                record_value=fresh,
            )
        ]

    findings = []
    lookups = result.get("dns_lookups")
    if error:
        too_many = lookups is not None and lookups > 10
        findings.append(
            Finding(
                key="spf",
                check="spf",
                level=ERROR,
                title=_("SPF needs %(n)s DNS lookups; the limit is 10") % {"n": lookups}
                if too_many
                else _("The SPF record is broken"),
                detail=_(
                    "Receivers treat the record as a permanent error, as if there were no SPF. "
                    "%(error)s"
                )
                % {"error": error},
                fix=_(
                    "Remove includes for services that no longer send for you, or replace them "
                    "with their ip4:/ip6: ranges."
                )
                if too_many
                else _("Correct the record; a minimal valid one is shown below.")
                if fresh
                else _(
                    "Correct the record: v=spf1, then the include: your mail provider documents "
                    "(or ip4:/ip6: for your own servers), then ~all."
                ),
                record_type="TXT",
                record_name=domain,
                record_value=fresh if not too_many else "",
            )
        )
    else:
        detail = _("%(n)s of 10 DNS lookups used.") % {"n": lookups}
        if warnings:
            detail += " " + " ".join(warnings)
        findings.append(
            Finding(
                key="spf",
                check="spf",
                level=WARNING if warnings else OK,
                title=_("SPF record found"),
                detail=detail,
                record_type="TXT",
                record_name=domain,
                record_value=record,
            )
        )

    parsed_all = (result.get("parsed") or {}).get("all")
    if parsed_all == "pass":
        findings.append(
            Finding(
                key="spf:all",
                check="spf",
                level=ERROR,
                title=_("SPF ends in +all: anyone may send as %(domain)s") % {"domain": domain},
                detail=_("Receivers see such a record as a spam signal, and it protects nothing."),
                fix=_("Replace +all with ~all (soft fail) once every real sender is listed."),
                record_type="TXT",
                record_name=domain,
                record_value=spf_record_with(record, all_qualifier="~all"),
            )
        )
    elif parsed_all == "neutral":
        findings.append(
            Finding(
                key="spf:all",
                check="spf",
                level=WARNING,
                title=_("SPF ends in ?all, which asserts nothing about other senders"),
                detail="",
                fix=_("Use ~all once every real sender is listed."),
                record_type="TXT",
                record_name=domain,
                record_value=spf_record_with(record, all_qualifier="~all"),
            )
        )
    parsed = result.get("parsed")
    for include in includes:
        if not _reaches(parsed, include):
            findings.append(_missing_include(resolver, domain, record, include, lookups))
    return findings
