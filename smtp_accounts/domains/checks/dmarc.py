"""DMARC: a policy published, and what it asks receivers to do (checkdmarc parses)."""

from __future__ import annotations

import checkdmarc.dmarc
from django.utils.translation import gettext as _

from core.dns import query
from smtp_accounts.domains.checks.findings import ERROR, OK, WARNING, Finding, could_not_check


def check_dmarc(resolver, domain: str, *, dkim_aligned: bool) -> list[Finding]:
    suggested = "v=DMARC1; p=none; adkim=r; aspf=r"
    name = f"_dmarc.{domain}"
    try:
        query(resolver, name, "TXT")  # tells "the DNS did not answer" from "no record"
        result = checkdmarc.dmarc.check_dmarc(domain, resolver=resolver, timeout=resolver.lifetime)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not take the whole check down
        return [could_not_check("dmarc", "dmarc", _("DMARC"), exc)]
    if not result.get("record"):
        return [
            Finding(
                key="dmarc",
                check="dmarc",
                level=ERROR,
                title=_("No DMARC record"),
                detail=_(
                    "Gmail and Yahoo require DMARC from bulk senders; mail without it is junked."
                ),
                fix=_("Publish this TXT record; it only monitors, nothing is rejected."),
                record_type="TXT",
                record_name=name,
                record_value=suggested,
            )
        ]
    if not result["valid"]:
        return [
            Finding(
                key="dmarc",
                check="dmarc",
                level=ERROR,
                title=_("The DMARC record is broken"),
                detail=result.get("error", ""),
                fix=_("Replace it with a valid record, such as this one."),
                record_type="TXT",
                record_name=name,
                record_value=suggested,
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
            key="dmarc",
            check="dmarc",
            level=WARNING if policy == "none" else OK,
            title=_("DMARC policy: %(p)s") % {"p": policy},
            detail=" ".join(notes),
            fix=_(
                "p=none only monitors. Once SPF and DKIM pass for all your senders, move to "
                "quarantine."
            )
            if policy == "none"
            else "",
            record_type="TXT" if policy == "none" else "",
            record_name=name if policy == "none" else "",
            record_value=result["record"].replace("p=none", "p=quarantine")
            if policy == "none"
            else "",
        )
    ]
    if not dkim_aligned:
        strict = tags.get("adkim") == "s"
        findings.append(
            Finding(
                key="dmarc:alignment",
                check="dmarc",
                level=WARNING,
                title=_("DMARC can pass only through SPF: no DKIM key signs for %(domain)s")
                % {"domain": domain},
                detail=_(
                    "DMARC needs SPF or DKIM to pass for the From domain. SPF breaks when mail "
                    "is forwarded, so an aligned DKIM signature matters."
                )
                + (" " + _("adkim=s requires the exact domain.") if strict else ""),
                fix=_("Publish a DKIM key for this domain (see DKIM above)."),
            )
        )
    return findings
