"""What the Review page warns about without blocking the launch: things that will not stop the
mail but will make the campaign behave differently from what the user expects.

- a mailbox in use that has no IMAP: its replies are never read, so follow-ups keep going to
  people who answered;
- a sending domain whose stored check (Domain health) fails SPF, DKIM, DMARC or MX;
- `{{signature}}` (without a fallback) in a step, while a mailbox in use has no signature.

Three queries (mailboxes, domain checks, variants), whatever the campaign's size.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.authoring.rendering import parse_variant
from campaigns.authoring.templating import TemplateError
from campaigns.models import Campaign, Variant
from campaigns.sending.problems import Problem
from smtp_accounts.domains.checks.findings import ERROR
from smtp_accounts.models import DomainCheck, Mailbox

# The checks whose failure makes mail land in spam or bounce (blocklists are reported on
# Domain health itself).
AUTHENTICATION = ("mx", "spf", "dkim", "dmarc")


def launch_warnings(campaign: Campaign) -> list[Problem]:
    mailboxes = list(campaign.mailboxes.filter(status=Mailbox.Status.ACTIVE).order_by("email"))
    return [
        *_without_imap(mailboxes),
        *_failing_domains(campaign, mailboxes),
        *_empty_signatures(campaign, mailboxes),
    ]


def _without_imap(mailboxes: list[Mailbox]) -> list[Problem]:
    return [
        Problem(
            _(
                "%(mailbox)s has no IMAP: its replies will not be read, and follow-ups will keep "
                "going to people who answered."
            )
            % {"mailbox": mailbox.email},
            reverse("mailbox_detail", args=[mailbox.pk]),
        )
        for mailbox in mailboxes
        if not mailbox.imap_host
    ]


def _failing_domains(campaign: Campaign, mailboxes: list[Mailbox]) -> list[Problem]:
    domains = {m.domain for m in mailboxes}
    checks = DomainCheck.objects.for_workspace(campaign.workspace).filter(domain__in=domains)
    warnings = []
    for check in checks.order_by("domain"):
        failing = sorted(
            {
                f["check"].upper()
                for f in check.findings or []
                if f.get("check") in AUTHENTICATION
                and f.get("level") == ERROR
                and not f.get("transient")
            }
        )
        if failing:
            warnings.append(
                Problem(
                    _("%(domain)s fails %(checks)s: mail from it is likely to land in spam.")
                    % {"domain": check.domain, "checks": ", ".join(failing)},
                    reverse("domain_detail", args=[check.domain]),
                )
            )
    return warnings


def _empty_signatures(campaign: Campaign, mailboxes: list[Mailbox]) -> list[Problem]:
    unsigned = [m for m in mailboxes if not (m.signature_text.strip() or m.signature_html.strip())]
    if not unsigned:
        return []
    steps = set()
    variants = Variant.objects.filter(step__campaign=campaign).select_related("step")
    for variant in variants.order_by("step__position", "label"):
        try:
            parsed = parse_variant(variant)
        except TemplateError:
            continue  # a blocker already
        parts = (parsed.subject.fields, parsed.body.fields)
        if any(part.get("signature") is False for part in parts):  # used without a fallback
            steps.add(variant.step.position)
    if not steps:
        return []
    return [
        Problem(
            _(
                "Step %(steps)s uses {{signature}}, which is empty for %(mailbox)s: add a "
                "signature to the mailbox, or a fallback like {{signature|Alice}}."
            )
            % {"steps": ", ".join(str(s) for s in sorted(steps)), "mailbox": mailbox.email},
            reverse("mailbox_detail", args=[mailbox.pk]),
        )
        for mailbox in unsigned
    ]
