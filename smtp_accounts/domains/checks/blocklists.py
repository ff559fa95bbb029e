"""DNS blocklists: the sending IPs and the domain looked up on the big public lists."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import dns.reversename
from django.utils.translation import gettext as _

from core.dns import LookupFailed, query
from smtp_accounts.domains.checks.findings import ERROR, OK, WARNING, Finding, could_not_check


@dataclass(frozen=True)
class Blocklist:
    key: str
    label: str
    zone: str
    kind: str  # "ip" or "domain"
    delist_url: str


BLOCKLISTS = (
    Blocklist("zen", "Spamhaus ZEN", "zen.spamhaus.org", "ip", "https://check.spamhaus.org/"),
    Blocklist("dbl", "Spamhaus DBL", "dbl.spamhaus.org", "domain", "https://check.spamhaus.org/"),
    Blocklist(
        "barracuda",
        "Barracuda",
        "b.barracudacentral.org",
        "ip",
        "https://www.barracudacentral.org/rbl/removal-request",
    ),
    Blocklist("spamcop", "SpamCop", "bl.spamcop.net", "ip", "https://www.spamcop.net/bl.shtml"),
)


def _listing(resolver, name: str) -> tuple[str, str]:
    """("listed" | "clean" | "refused", codes); 127.255.255.x answers mean "ask elsewhere"."""
    answers = query(resolver, name, "A")
    if not answers:
        return "clean", ""
    codes = sorted(a.address for a in answers)
    if all(c.startswith("127.255.255.") for c in codes):
        return "refused", ", ".join(codes)
    return "listed", ", ".join(codes)


def sending_ips(resolver, hosts: Iterable[str]) -> tuple[list[str], list[Finding]]:
    ips, findings = [], []
    for host in sorted(set(h.lower() for h in hosts if h)):
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                addresses = [
                    ipaddress.ip_address(a.address) for a in query(resolver, host, "A") or []
                ]
            except LookupFailed as exc:
                findings.append(
                    could_not_check(f"blocklist:{host}", "blocklist", host, exc),
                )
                continue
        ips += [str(a) for a in addresses if a.version == 4 and a.is_global]
    return sorted(set(ips)), findings


def check_blocklists(resolver, domain: str, ips: Iterable[str]) -> list[Finding]:
    findings, checked = [], []
    targets = [(bl, domain) for bl in BLOCKLISTS if bl.kind == "domain"]
    targets += [(bl, ip) for ip in ips for bl in BLOCKLISTS if bl.kind == "ip"]
    for bl, target in targets:
        query = (
            f"{target}.{bl.zone}"
            if bl.kind == "domain"
            else dns.reversename.from_address(target)
            .to_text(omit_final_dot=True)
            .removesuffix(".in-addr.arpa")
            + f".{bl.zone}"
        )
        try:
            state, codes = _listing(resolver, query)
        except LookupFailed as exc:
            findings.append(
                could_not_check(f"blocklist:{bl.key}:{target}", "blocklist", bl.label, exc)
            )
            continue
        if state == "listed":
            findings.append(
                Finding(
                    key=f"blocklist:{bl.key}:{target}",
                    check="blocklist",
                    level=ERROR,
                    title=_("%(target)s is listed on %(list)s")
                    % {"target": target, "list": bl.label},
                    detail=_(
                        "Answer %(codes)s. Many receivers reject mail while the listing lasts."
                    )
                    % {"codes": codes},
                    fix=_(
                        "Find the cause (a compromised account, a bad list), fix it, then request "
                        "removal at %(url)s."
                    )
                    % {"url": bl.delist_url},
                )
            )
        elif state == "refused":
            findings.append(
                Finding(
                    key=f"blocklist:{bl.key}:{target}",
                    check="blocklist",
                    level=WARNING,
                    title=_("%(list)s refused to answer for %(target)s")
                    % {"list": bl.label, "target": target},
                    detail=_(
                        "It answered %(codes)s: it does not serve queries from public resolvers."
                    )
                    % {"codes": codes},
                    fix=_("Point DNS_NAMESERVERS at a resolver of your own to check this list."),
                )
            )
        else:
            checked.append(f"{target} on {bl.label}")
    if checked:
        problems = any(f.check == "blocklist" for f in findings)
        findings.append(
            Finding(
                key="blocklist",
                check="blocklist",
                level=OK,
                title=_("Not listed on the other blocklists")
                if problems
                else _("Not on any blocklist"),
                detail=_("Checked: %(pairs)s.") % {"pairs": "; ".join(checked)},
            )
        )
    return findings
