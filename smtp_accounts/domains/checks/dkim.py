"""DKIM: the selectors the domain publishes, and whether our own keys are among them."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.dns import LookupFailed, query, txt
from smtp_accounts.domains.checks.findings import (
    ERROR,
    OK,
    WARNING,
    Finding,
    could_not_check,
    providers_of,
)

# Selectors the big providers and common MTAs publish under.
WELL_KNOWN_SELECTORS = (
    "google",
    "selector1",
    "selector2",
    "default",
    "k1",
    "k2",
    "s1",
    "s2",
    "dkim",
    "mail",
    "zoho",
    "zmail",
)


def _dkim_tags(text: str) -> dict[str, str]:
    tags = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(value.split())
    return tags


def lookup_dkim(resolver, domain: str, selectors: Iterable[str]) -> tuple[dict[str, str], list]:
    """Selector -> published p= value (empty = revoked), plus the lookups that failed."""
    published, failures = {}, []
    for selector in dict.fromkeys(s.strip().lower() for s in selectors if s.strip()):
        name = f"{selector}._domainkey.{domain}"
        try:
            answers = query(resolver, name, "TXT")
        except LookupFailed as exc:
            failures.append((selector, exc))
            continue
        for rdata in answers or []:
            tags = _dkim_tags(txt(rdata))
            if "p" in tags and tags.get("v", "DKIM1") == "DKIM1":
                published[selector] = tags["p"]
                break
    return published, failures


def check_dkim(
    resolver,
    domain: str,
    *,
    selectors: Iterable[str] = (),
    own_keys: Iterable = (),
    provider_keys: Iterable[str] = (),
) -> tuple[list[Finding], dict[str, str]]:
    """`own_keys`: the workspace's DkimKey rows for the domain."""
    own_keys = list(own_keys)
    wanted = [*selectors, *WELL_KNOWN_SELECTORS, *(k.selector for k in own_keys)]
    published, failures = lookup_dkim(resolver, domain, wanted)
    findings = [
        could_not_check(f"dkim:{sel}", "dkim", _("DKIM selector %(s)s") % {"s": sel}, exc)
        for sel, exc in failures
    ]
    own_selectors = set()
    for key in own_keys:
        own_selectors.add(key.selector)
        expected = key.public_key
        seen = published.get(key.selector)
        common = {
            "record_type": "TXT",
            "record_name": f"{key.selector}._domainkey.{domain}",
            "record_value": key.record_value,
        }
        if seen == expected:
            findings.append(
                Finding(
                    key=f"dkim:{key.selector}",
                    check="dkim",
                    level=OK,
                    title=_("Postigo's DKIM key is published (selector %(s)s); mail is signed")
                    % {"s": key.selector},
                    **common,
                )
            )
        elif seen is None:
            findings.append(
                Finding(
                    key=f"dkim:{key.selector}",
                    check="dkim",
                    level=ERROR if key.verified_at else WARNING,
                    title=_("Postigo's DKIM key is no longer published; signing stopped")
                    if key.verified_at
                    else _("Postigo's DKIM key is not published yet"),
                    detail=_("Postigo signs only with a key receivers can find."),
                    fix=_("Publish this TXT record, then re-check."),
                    **common,
                )
            )
        else:
            findings.append(
                Finding(
                    key=f"dkim:{key.selector}",
                    check="dkim",
                    level=ERROR,
                    title=_("The DKIM record at selector %(s)s is not Postigo's key")
                    % {"s": key.selector},
                    detail=_(
                        "The published public key differs (mistyped or truncated when pasted)."
                    ),
                    fix=_("Replace the record with exactly this value."),
                    **common,
                )
            )
    for selector, p in published.items():
        if selector in own_selectors:
            continue
        findings.append(
            Finding(
                key=f"dkim:{selector}",
                check="dkim",
                level=OK if p else WARNING,
                title=_("DKIM key published at selector %(s)s") % {"s": selector}
                if p
                else _("The DKIM key at selector %(s)s is revoked (empty p=)") % {"s": selector},
                detail=_("Your mail provider signs with it.") if p else "",
            )
        )
    if not published and not own_keys and not failures:
        hints = " ".join(str(p.dkim_hint) for p in providers_of(provider_keys) if p.dkim_hint)
        findings.append(
            Finding(
                key="dkim",
                check="dkim",
                level=ERROR,
                title=_("No DKIM key found for %(domain)s") % {"domain": domain},
                detail=_(
                    "Looked under the selectors %(selectors)s. Unsigned mail fails DMARC when "
                    "forwarded and is filtered harder."
                )
                % {"selectors": ", ".join(dict.fromkeys(wanted))},
                fix=(hints + " " if hints else "")
                + _(
                    "If your provider signs under another selector, add it below. If it cannot "
                    "sign, generate a Postigo DKIM key on a mailbox of this domain."
                ),
            )
        )
    return findings, published
