"""Domain health: MX, SPF, DKIM, DMARC and DNS blocklists for one sending domain.

Pure lookups, no database: `check_domain` returns findings, each with a level, a plain-language
explanation, the fix and, where there is one, the exact record to publish. SPF and DMARC
parsing is checkdmarc's; everything goes through one dnspython resolver built from
settings.DNS_NAMESERVERS (the tests point it at a DNS server on 127.0.0.1). No lookup failure
ever raises out of here: an unanswered query becomes a "could not check" warning.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

import checkdmarc.dmarc
import checkdmarc.spf
import checkdmarc.utils
import dns.exception
import dns.nameserver
import dns.resolver
import dns.reversename
from django.utils.translation import gettext as _

from core.dns import LookupFailed, make_resolver, query, txt
from core.text import storable_fields
from smtp_accounts.presets import PRESETS

OK, WARNING, ERROR = "ok", "warning", "error"
SEVERITY = {OK: 0, WARNING: 1, ERROR: 2}

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


@dataclass
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


def _could_not_check(key: str, check: str, what: str, exc: Exception) -> Finding:
    return Finding(
        key,
        check,
        WARNING,
        _("Could not check %(what)s") % {"what": what},
        _("The DNS lookup failed: %(error)s. It is tried again at the next check.")
        % {"error": exc},
        transient=True,
    )


def _providers(provider_keys: Iterable[str]):
    return [PRESETS[k] for k in sorted(set(provider_keys)) if k in PRESETS and k != "custom"]


# --- MX -------------------------------------------------------------------------------------------


def check_mx(resolver, domain: str, provider_keys: Iterable[str] = ()) -> tuple[Finding, list[str]]:
    try:
        answers = query(resolver, domain, "MX")
    except LookupFailed as exc:
        return _could_not_check("mx", "mx", _("the MX records"), exc), []
    suggested = [
        record.format(dashed=domain.replace(".", "-"))
        for preset in _providers(provider_keys)
        for record in preset.mx_records
    ]
    fix_record = "\n".join(suggested)
    if not answers:
        return (
            Finding(
                "mx",
                "mx",
                ERROR,
                _("No MX record: replies to %(domain)s cannot be delivered") % {"domain": domain},
                _(
                    "Receiving servers distrust senders whose domain accepts no mail, and your "
                    "prospects' replies would bounce."
                ),
                _("Publish the MX records your mail provider gives you.")
                if not suggested
                else _("Publish these MX records at %(domain)s.") % {"domain": domain},
                "MX" if suggested else "",
                domain if suggested else "",
                fix_record,
            ),
            [],
        )
    hosts = [
        a.exchange.to_text().rstrip(".").lower()
        for a in sorted(answers, key=lambda a: a.preference)
    ]
    if hosts == [""]:  # RFC 7505 null MX: "0 ."
        return (
            Finding(
                "mx",
                "mx",
                ERROR,
                _("%(domain)s publishes a null MX: it says it accepts no mail")
                % {"domain": domain},
                _("Replies to this domain bounce and many receivers reject mail from it."),
                _("Replace the null MX with your provider's MX records."),
                "MX" if suggested else "",
                domain if suggested else "",
                fix_record,
            ),
            [],
        )
    return (
        Finding(
            "mx",
            "mx",
            OK,
            _("Mail for %(domain)s is received by %(hosts)s")
            % {"domain": domain, "hosts": ", ".join(hosts)},
        ),
        hosts,
    )


# --- SPF ------------------------------------------------------------------------------------------


def _authorises(term: str, include: str) -> bool:
    """Whether an SPF term passes the include's servers (`include:` or `+include:`; `-`, `~`
    and `?` do not)."""
    return term.lower().removeprefix("+") == f"include:{include.lower()}"


def _spf_with(record: str, *, include: str = "", all_qualifier: str = "") -> str:
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
    value = _spf_with(record, include=include)
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
        f"spf:include:{include}",
        "spf",
        WARNING,
        _("SPF does not include %(include)s") % {"include": include},
        detail,
        fix,
        "TXT",
        domain,
        value,
    )


def check_spf(resolver, domain: str, provider_keys: Iterable[str] = ()) -> list[Finding]:
    includes = [p.spf_include for p in _providers(provider_keys) if p.spf_include]
    # Without a known provider there is no record to offer: "v=spf1 ~all" alone authorises
    # no server at all, so publishing it as offered would fail every message.
    fresh = " ".join(["v=spf1", *(f"include:{i}" for i in includes), "~all"]) if includes else ""
    try:
        query(resolver, domain, "TXT")  # tells "the DNS did not answer" from "no record"
        result = checkdmarc.spf.check_spf(domain, resolver=resolver, timeout=resolver.lifetime)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not take the whole check down
        return [_could_not_check("spf", "spf", _("SPF"), exc)]
    record = result.get("record")
    error = result.get("error", "")
    warnings = [str(w) for w in result.get("warnings", [])]

    if not record:
        return [
            Finding(
                "spf",
                "spf",
                ERROR,
                _("No SPF record"),
                _(
                    "Without SPF, receivers cannot tell which servers may send as %(domain)s; "
                    "Gmail and Yahoo reject or junk such mail. (%(error)s)"
                )
                % {"domain": domain, "error": error},
                _("Publish this TXT record at the domain itself.")
                if includes
                else _(
                    "Publish a TXT record at the domain that names the servers your mail "
                    "provider sends from: v=spf1, then the include: your provider documents "
                    "(or ip4:/ip6: for your own servers), then ~all. Postigo does not know "
                    "your provider, so it cannot write the record for you."
                ),
                "TXT" if includes else "",
                domain if includes else "",
                fresh,
            )
        ]

    findings = []
    lookups = result.get("dns_lookups")
    if error:
        too_many = lookups is not None and lookups > 10
        findings.append(
            Finding(
                "spf",
                "spf",
                ERROR,
                _("SPF needs %(n)s DNS lookups; the limit is 10") % {"n": lookups}
                if too_many
                else _("The SPF record is broken"),
                _(
                    "Receivers treat the record as a permanent error, as if there were no SPF. "
                    "%(error)s"
                )
                % {"error": error},
                _(
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
                "TXT",
                domain,
                fresh if not too_many else "",
            )
        )
    else:
        detail = _("%(n)s of 10 DNS lookups used.") % {"n": lookups}
        if warnings:
            detail += " " + " ".join(warnings)
        findings.append(
            Finding(
                "spf",
                "spf",
                WARNING if warnings else OK,
                _("SPF record found"),
                detail,
                record_type="TXT",
                record_name=domain,
                record_value=record,
            )
        )

    parsed_all = (result.get("parsed") or {}).get("all")
    if parsed_all == "pass":
        findings.append(
            Finding(
                "spf:all",
                "spf",
                ERROR,
                _("SPF ends in +all: anyone may send as %(domain)s") % {"domain": domain},
                _("Receivers see such a record as a spam signal, and it protects nothing."),
                _("Replace +all with ~all (soft fail) once every real sender is listed."),
                "TXT",
                domain,
                _spf_with(record, all_qualifier="~all"),
            )
        )
    elif parsed_all == "neutral":
        findings.append(
            Finding(
                "spf:all",
                "spf",
                WARNING,
                _("SPF ends in ?all, which asserts nothing about other senders"),
                "",
                _("Use ~all once every real sender is listed."),
                "TXT",
                domain,
                _spf_with(record, all_qualifier="~all"),
            )
        )
    parsed = result.get("parsed")
    for include in includes:
        if not _reaches(parsed, include):
            findings.append(_missing_include(resolver, domain, record, include, lookups))
    return findings


# --- DKIM -----------------------------------------------------------------------------------------


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
        _could_not_check(f"dkim:{sel}", "dkim", _("DKIM selector %(s)s") % {"s": sel}, exc)
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
                    f"dkim:{key.selector}",
                    "dkim",
                    OK,
                    _("Postigo's DKIM key is published (selector %(s)s); mail is signed")
                    % {"s": key.selector},
                    **common,
                )
            )
        elif seen is None:
            findings.append(
                Finding(
                    f"dkim:{key.selector}",
                    "dkim",
                    ERROR if key.verified_at else WARNING,
                    _("Postigo's DKIM key is no longer published; signing stopped")
                    if key.verified_at
                    else _("Postigo's DKIM key is not published yet"),
                    _("Postigo signs only with a key receivers can find."),
                    _("Publish this TXT record, then re-check."),
                    **common,
                )
            )
        else:
            findings.append(
                Finding(
                    f"dkim:{key.selector}",
                    "dkim",
                    ERROR,
                    _("The DKIM record at selector %(s)s is not Postigo's key")
                    % {"s": key.selector},
                    _("The published public key differs (mistyped or truncated when pasted)."),
                    _("Replace the record with exactly this value."),
                    **common,
                )
            )
    for selector, p in published.items():
        if selector in own_selectors:
            continue
        findings.append(
            Finding(
                f"dkim:{selector}",
                "dkim",
                OK if p else WARNING,
                _("DKIM key published at selector %(s)s") % {"s": selector}
                if p
                else _("The DKIM key at selector %(s)s is revoked (empty p=)") % {"s": selector},
                _("Your mail provider signs with it.") if p else "",
            )
        )
    if not published and not own_keys and not failures:
        hints = " ".join(str(p.dkim_hint) for p in _providers(provider_keys) if p.dkim_hint)
        findings.append(
            Finding(
                "dkim",
                "dkim",
                ERROR,
                _("No DKIM key found for %(domain)s") % {"domain": domain},
                _(
                    "Looked under the selectors %(selectors)s. Unsigned mail fails DMARC when "
                    "forwarded and is filtered harder."
                )
                % {"selectors": ", ".join(dict.fromkeys(wanted))},
                (hints + " " if hints else "")
                + _(
                    "If your provider signs under another selector, add it below. If it cannot "
                    "sign, generate a Postigo DKIM key on a mailbox of this domain."
                ),
            )
        )
    return findings, published


# --- DMARC ----------------------------------------------------------------------------------------


def check_dmarc(resolver, domain: str, *, dkim_aligned: bool) -> list[Finding]:
    suggested = "v=DMARC1; p=none; adkim=r; aspf=r"
    name = f"_dmarc.{domain}"
    try:
        query(resolver, name, "TXT")  # tells "the DNS did not answer" from "no record"
        result = checkdmarc.dmarc.check_dmarc(domain, resolver=resolver, timeout=resolver.lifetime)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not take the whole check down
        return [_could_not_check("dmarc", "dmarc", _("DMARC"), exc)]
    if not result.get("record"):
        return [
            Finding(
                "dmarc",
                "dmarc",
                ERROR,
                _("No DMARC record"),
                _("Gmail and Yahoo require DMARC from bulk senders; mail without it is junked."),
                _("Publish this TXT record; it only monitors, nothing is rejected."),
                "TXT",
                name,
                suggested,
            )
        ]
    if not result["valid"]:
        return [
            Finding(
                "dmarc",
                "dmarc",
                ERROR,
                _("The DMARC record is broken"),
                result.get("error", ""),
                _("Replace it with a valid record, such as this one."),
                "TXT",
                name,
                suggested,
            )
        ]
    tags = {k: v["value"] for k, v in result["tags"].items()}
    policy = tags.get("p", "none")
    notes = [str(w) for w in result.get("warnings", [])]
    if result.get("location") and result["location"] != domain:
        notes.append(
            _("The policy is inherited from %(org)s.") % {"org": result["location"]},
        )
    findings = [
        Finding(
            "dmarc",
            "dmarc",
            WARNING if policy == "none" else OK,
            _("DMARC policy: %(p)s") % {"p": policy},
            " ".join(notes),
            _(
                "p=none only monitors. Once SPF and DKIM pass for all your senders, move to "
                "quarantine."
            )
            if policy == "none"
            else "",
            "TXT" if policy == "none" else "",
            name if policy == "none" else "",
            result["record"].replace("p=none", "p=quarantine") if policy == "none" else "",
        )
    ]
    if not dkim_aligned:
        strict = tags.get("adkim") == "s"
        findings.append(
            Finding(
                "dmarc:alignment",
                "dmarc",
                WARNING,
                _("DMARC can pass only through SPF: no DKIM key signs for %(domain)s")
                % {"domain": domain},
                _(
                    "DMARC needs SPF or DKIM to pass for the From domain. SPF breaks when mail "
                    "is forwarded, so an aligned DKIM signature matters."
                )
                + (" " + _("adkim=s requires the exact domain.") if strict else ""),
                _("Publish a DKIM key for this domain (see DKIM above)."),
            )
        )
    return findings


# --- Blocklists -----------------------------------------------------------------------------------


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
                    _could_not_check(f"blocklist:{host}", "blocklist", host, exc),
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
                _could_not_check(f"blocklist:{bl.key}:{target}", "blocklist", bl.label, exc)
            )
            continue
        if state == "listed":
            findings.append(
                Finding(
                    f"blocklist:{bl.key}:{target}",
                    "blocklist",
                    ERROR,
                    _("%(target)s is listed on %(list)s") % {"target": target, "list": bl.label},
                    _("Answer %(codes)s. Many receivers reject mail while the listing lasts.")
                    % {"codes": codes},
                    _(
                        "Find the cause (a compromised account, a bad list), fix it, then request "
                        "removal at %(url)s."
                    )
                    % {"url": bl.delist_url},
                )
            )
        elif state == "refused":
            findings.append(
                Finding(
                    f"blocklist:{bl.key}:{target}",
                    "blocklist",
                    WARNING,
                    _("%(list)s refused to answer for %(target)s")
                    % {"list": bl.label, "target": target},
                    _("It answered %(codes)s: it does not serve queries from public resolvers.")
                    % {"codes": codes},
                    _("Point DNS_NAMESERVERS at a resolver of your own to check this list."),
                )
            )
        else:
            checked.append(f"{target} on {bl.label}")
    if checked:
        problems = any(f.check == "blocklist" for f in findings)
        findings.append(
            Finding(
                "blocklist",
                "blocklist",
                OK,
                _("Not listed on the other blocklists") if problems else _("Not on any blocklist"),
                _("Checked: %(pairs)s.") % {"pairs": "; ".join(checked)},
            )
        )
    return findings


# --- All together ---------------------------------------------------------------------------------


def check_domain(
    domain: str,
    *,
    selectors: Iterable[str] = (),
    own_keys: Iterable = (),
    provider_keys: Iterable[str] = (),
    smtp_hosts: Iterable[str] = (),
    resolver: dns.resolver.Resolver | None = None,
) -> DomainReport:
    domain = domain.strip().lower().rstrip(".")
    resolver = resolver or make_resolver()
    # checkdmarc caches answers process-wide for minutes; a re-check right after the user
    # published a record must see it.
    checkdmarc.utils.DNS_CACHE.clear()
    provider_keys = list(provider_keys)
    report = DomainReport(domain)
    mx, _hosts = check_mx(resolver, domain, provider_keys)
    report.findings.append(mx)
    if mx.transient:
        # The resolver cannot answer even the first question: each further lookup would only
        # wait out its own timeout. Report that once; the next check tries everything again.
        return report
    report.findings += check_spf(resolver, domain, provider_keys)
    dkim_findings, report.dkim_published = check_dkim(
        resolver, domain, selectors=selectors, own_keys=own_keys, provider_keys=provider_keys
    )
    report.findings += dkim_findings
    aligned = any(report.dkim_published.values())
    report.findings += check_dmarc(resolver, domain, dkim_aligned=aligned)
    ips, ip_findings = sending_ips(resolver, smtp_hosts)
    report.findings += ip_findings
    report.findings += check_blocklists(resolver, domain, ips)
    return report
