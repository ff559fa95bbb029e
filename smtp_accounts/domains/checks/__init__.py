"""Domain health: MX, SPF, DKIM, DMARC and DNS blocklists for one sending domain.

Pure lookups, no database: `check_domain` returns findings, each with a level, a plain-language
explanation, the fix and, where there is one, the exact record to publish. SPF and DMARC
parsing is checkdmarc's; everything goes through one dnspython resolver built from
settings.DNS_NAMESERVERS (the tests point it at a DNS server on 127.0.0.1). No lookup failure
ever raises out of here: an unanswered query becomes a "could not check" warning.
"""

from __future__ import annotations

from collections.abc import Iterable

import checkdmarc.utils
import dns.resolver

from core.dns import make_resolver
from smtp_accounts.domains.checks.blocklists import check_blocklists, sending_ips
from smtp_accounts.domains.checks.dkim import check_dkim
from smtp_accounts.domains.checks.dmarc import check_dmarc
from smtp_accounts.domains.checks.findings import DomainReport
from smtp_accounts.domains.checks.mx import check_mx
from smtp_accounts.domains.checks.spf import check_spf


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
