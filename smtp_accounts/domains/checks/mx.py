"""MX: does the domain accept mail (replies), and at whose servers."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.dns import LookupFailed, query
from smtp_accounts.domains.checks.findings import ERROR, OK, Finding, could_not_check, providers_of


def check_mx(resolver, domain: str, provider_keys: Iterable[str] = ()) -> tuple[Finding, list[str]]:
    try:
        answers = query(resolver, domain, "MX")
    except LookupFailed as exc:
        return could_not_check("mx", "mx", _("the MX records"), exc), []
    suggested = [
        record.format(dashed=domain.replace(".", "-"))
        for preset in providers_of(provider_keys)
        for record in preset.mx_records
    ]
    fix_record = "\n".join(suggested)
    if not answers:
        return (
            Finding(
                key="mx",
                check="mx",
                level=ERROR,
                title=_("No MX record: replies to %(domain)s cannot be delivered")
                % {"domain": domain},
                detail=_(
                    "Receiving servers distrust senders whose domain accepts no mail, and your "
                    "prospects' replies would bounce."
                ),
                fix=_("Publish the MX records your mail provider gives you.")
                if not suggested
                else _("Publish these MX records at %(domain)s.") % {"domain": domain},
                record_type="MX" if suggested else "",
                record_name=domain if suggested else "",
                record_value=fix_record,
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
                key="mx",
                check="mx",
                level=ERROR,
                title=_("%(domain)s publishes a null MX: it says it accepts no mail")
                % {"domain": domain},
                detail=_("Replies to this domain bounce and many receivers reject mail from it."),
                fix=_("Replace the null MX with your provider's MX records."),
                record_type="MX" if suggested else "",
                record_name=domain if suggested else "",
                record_value=fix_record,
            ),
            [],
        )
    return (
        Finding(
            key="mx",
            check="mx",
            level=OK,
            title=_("Mail for %(domain)s is received by %(hosts)s")
            % {"domain": domain, "hosts": ", ".join(hosts)},
        ),
        hosts,
    )
