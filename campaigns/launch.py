"""The launch gate: everything that must hold before a campaign may send (DESIGN §4.2).

`launch_problems` lists every problem at once, each with the page where it is fixed. The
sending pipeline starts from a campaign with no problems.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.authoring import SYSTEM_FIELDS, body_source, parse_variant
from campaigns.models import STANDARD_FIELDS, Campaign, Lead
from campaigns.suppression import Suppressions
from campaigns.templating import TemplateError

MAX_NAMED = 5  # leads named per unresolved field; the rest are counted


@dataclass
class Problem:
    message: str
    url: str
    details: list[str] = field(default_factory=list)


def enrolled_leads(campaign: Campaign):
    """Active leads of the campaign's lists (each once), before the suppression check."""
    return (
        Lead.objects.for_workspace(campaign.workspace)
        .filter(lists__in=campaign.lead_lists.all(), status=Lead.Status.ACTIVE)
        .distinct()
    )


def launch_problems(campaign: Campaign) -> list[Problem]:
    problems: list[Problem] = []
    url = lambda name: reverse(name, args=[campaign.pk])  # noqa: E731

    # Leads
    suppressions = Suppressions.load(campaign.workspace)
    leads = [
        lead
        for lead in enrolled_leads(campaign)
        .only("email", "custom", *STANDARD_FIELDS)
        .order_by("pk")
        .iterator()
        if lead.email not in suppressions
    ]
    if not campaign.lead_lists.exists():
        problems.append(Problem(_("Choose at least one lead list."), url("campaign_leads")))
    elif not leads:
        problems.append(
            Problem(
                _("The chosen lists have no active, unsuppressed leads."), url("campaign_leads")
            )
        )

    # Sequence
    steps = list(campaign.steps.prefetch_related("variants"))
    if not steps:
        problems.append(Problem(_("Add at least one step."), url("campaign_sequence")))
    has_unsubscribe = True
    for step in steps:
        for variant in step.variants.all():
            where = _("Step %(n)s, variant %(v)s") % {"n": step.position, "v": variant.label}
            fix = url("campaign_sequence") + f"#variant-{variant.pk}"
            if step.is_first and not variant.subject.strip():
                problems.append(Problem(_("%(where)s has no subject.") % {"where": where}, fix))
            if not variant.body_html.strip():
                problems.append(Problem(_("%(where)s has no body.") % {"where": where}, fix))
            if "{{unsubscribe_url" not in body_source(variant):
                has_unsubscribe = False
            try:
                parsed = parse_variant(variant)
            except TemplateError as exc:
                problems.append(Problem(f"{where}: {exc}", fix))
                continue
            problems += _unresolved(where, fix, parsed, leads)
    if steps and not has_unsubscribe:
        problems.append(
            Problem(
                _(
                    "Every email needs an unsubscribe link: keep the automatic footer or add "
                    "{{unsubscribe_url}} to each body."
                ),
                url("campaign_schedule"),
            )
        )

    # Schedule
    if not campaign.send_days:
        problems.append(Problem(_("Choose at least one sending day."), url("campaign_schedule")))
    if campaign.window_start >= campaign.window_end:
        problems.append(
            Problem(_("The sending window must start before it ends."), url("campaign_schedule"))
        )
    try:
        zoneinfo.ZoneInfo(campaign.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(Problem(_("The time zone is not valid."), url("campaign_schedule")))

    # Mailboxes
    active = campaign.mailboxes.filter(status="active")
    if not active.exists():
        problems.append(
            Problem(
                _("Choose at least one active mailbox to send from."), url("campaign_mailboxes")
            )
        )
    return problems


def _unresolved(where: str, fix: str, parsed, leads: list[Lead]) -> list[Problem]:
    fields = {**parsed.subject.fields}
    for name, has_fallback in parsed.body.fields.items():
        fields[name] = fields.get(name, True) and has_fallback
    problems = []
    for name, has_fallback in sorted(fields.items()):
        if has_fallback or name in SYSTEM_FIELDS:
            continue
        missing = [lead.email for lead in leads if not lead.merge_values().get(name)]
        if not missing:
            continue
        message = ngettext(
            "%(where)s: {{%(field)s}} is empty for %(n)s lead, who would be skipped; "
            "add a fallback like {{%(field)s|there}}.",
            "%(where)s: {{%(field)s}} is empty for %(n)s leads, who would be skipped; "
            "add a fallback like {{%(field)s|there}}.",
            len(missing),
        ) % {"where": where, "field": name, "n": len(missing)}
        details = missing[:MAX_NAMED]
        if len(missing) > MAX_NAMED:
            details.append(_("…and %(n)s more") % {"n": len(missing) - MAX_NAMED})
        problems.append(Problem(message, fix, details))
    return problems
