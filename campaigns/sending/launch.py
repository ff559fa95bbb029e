"""The launch gate: everything that must hold before a campaign may send (DESIGN §4.2).

`launch_problems` lists every problem at once, each with the page where it is fixed. The
sending pipeline starts from a campaign with no problems.
"""

from __future__ import annotations

import datetime
import logging
import random
import zoneinfo
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ai import signals as ai_signals
from api import events as webhook_events
from campaigns.authoring.rendering import SYSTEM_FIELDS, body_source, parse_variant
from campaigns.authoring.templating import TemplateError
from campaigns.leads.services import LeadError
from campaigns.leads.suppression import Suppressions
from campaigns.lifecycle import enrollments_stop
from campaigns.models import (
    STANDARD_FIELDS,
    Campaign,
    Enrollment,
    Lead,
    LeadList,
    LeadMembership,
    StopReason,
)
from campaigns.schedule import next_send_time
from campaigns.sending.billing_gate import balance_problems
from campaigns.sending.bounce_guard import bounce_count_restart
from campaigns.sending.content_gate import launch_content_gate
from campaigns.sending.problems import Problem
from campaigns.stats import bump
from privacy import services as privacy
from smtp_accounts.rotation import assign_mailboxes

log = logging.getLogger(__name__)

MAX_NAMED = 5  # leads named per unresolved field; the rest are counted


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
    if privacy.is_restricted(campaign.workspace_id):
        problems.append(Problem(privacy.RESTRICTED_MESSAGE, reverse("privacy_settings")))

    # Leads, and which of them lack a value that some template needs without a fallback
    steps = list(campaign.steps.prefetch_related("variants"))
    needed = set()
    for step in steps:
        for variant in step.variants.all():
            try:
                needed |= _required_fields(parse_variant(variant))
            except TemplateError:
                continue  # reported below
    lead_count, missing = _missing_values(campaign, needed)
    if not campaign.lead_lists.exists():
        problems.append(Problem(_("Choose at least one lead list."), url("campaign_leads")))
    elif not lead_count:
        problems.append(
            Problem(
                _("The chosen lists have no active, unsuppressed leads."), url("campaign_leads")
            )
        )

    # Sequence
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
            for name in sorted(_required_fields(parsed)):
                if missing[name].count:
                    problems.append(missing[name].problem(where, fix, name))
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

    # Content review and the workspace's standing (ai)
    if campaign.held_at:
        # paused_reason may be a stored English msgid (billing_gate, content_gate): translate it.
        held = _(campaign.paused_reason) if campaign.paused_reason else _("Held for review.")
        problems.append(Problem(held, url("campaign_sequence")))
    if not campaign.workspace.may_send():
        problems.append(Problem(_("This workspace may not send: it is suspended, or its owner's "
                                  "account is deactivated."), ""))  # fmt: skip

    # Mailboxes
    active = campaign.mailboxes.filter(status="active")
    if not active.exists():
        problems.append(
            Problem(
                _("Choose at least one active mailbox to send from."), url("campaign_mailboxes")
            )
        )
    problems.extend(balance_problems(campaign))  # billing: the balance pays for an email
    return problems


def _required_fields(parsed) -> set[str]:
    """Fields used somewhere without a fallback, that no sender fills in."""
    fields = dict(parsed.subject.fields)
    for name, has_fallback in parsed.body.fields.items():
        fields[name] = fields.get(name, True) and has_fallback
    return {n for n, has_fallback in fields.items() if not has_fallback and n not in SYSTEM_FIELDS}


@dataclass
class _Missing:
    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, email: str) -> None:
        self.count += 1
        if len(self.first) < MAX_NAMED:
            self.first.append(email)

    def problem(self, where: str, fix: str, name: str) -> Problem:
        message = ngettext(
            "%(where)s: {{%(field)s}} is empty for %(n)s lead, who would be skipped; "
            "add a fallback like {{%(field)s|there}}.",
            "%(where)s: {{%(field)s}} is empty for %(n)s leads, who would be skipped; "
            "add a fallback like {{%(field)s|there}}.",
            self.count,
        ) % {"where": where, "field": name, "n": self.count}
        details = list(self.first)
        if self.count > MAX_NAMED:
            details.append(_("…and %(n)s more") % {"n": self.count - MAX_NAMED})
        return Problem(message, fix, details)


def _missing_values(campaign: Campaign, fields: set[str]) -> tuple[int, dict[str, _Missing]]:
    """One pass over the enrolled, unsuppressed leads: how many, and who lacks which field."""
    suppressions = Suppressions.load(campaign.workspace)
    standard = [f for f in sorted(fields) if f in STANDARD_FIELDS]
    custom = [f for f in sorted(fields) if f not in STANDARD_FIELDS]
    missing = {name: _Missing() for name in fields}
    count = 0
    rows = (
        enrolled_leads(campaign)
        .order_by("pk")
        .values_list("email", "custom", *standard)
        .iterator(chunk_size=2000)
    )
    for email, custom_values, *values in rows:
        if email in suppressions:
            continue
        count += 1
        for name, value in zip(standard, values, strict=True):
            if not value:
                missing[name].add(email)
        for name in custom:
            if not (custom_values or {}).get(name):
                missing[name].add(email)
    return count, missing


# --- launching and controlling a campaign ---------------------------------------------------------


class LaunchError(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__(" ".join(p.message for p in problems))
        self.problems = problems


def campaign_enroll(*, campaign: Campaign, now: datetime.datetime | None = None) -> int:
    """Enroll the campaign's leads not enrolled yet (launch, and leads added later).

    Skipped: suppressed leads, and leads active in another running campaign of the workspace
    (unless the campaign allows overlap).
    Each gets a sticky mailbox from rotation and a first due time inside the schedule, spread
    over the campaign's `launch_spread_seconds` (an hour unless set) so sends do not start in
    lockstep.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Locked: two enrollments of the same campaign at once would count leads twice.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        enrolled = _enroll(campaign, now)
        bump(campaign.pk, "enrolled", enrolled)
    return enrolled


def _enroll(campaign: Campaign, now: datetime.datetime) -> int:
    suppressions = Suppressions.load(campaign.workspace)
    busy = Enrollment.objects.filter(
        campaign__workspace=campaign.workspace,
        campaign__status=Campaign.Status.RUNNING,
        status=Enrollment.Status.ACTIVE,
    ).exclude(campaign=campaign)
    candidates = enrolled_leads(campaign).exclude(enrollments__campaign=campaign)
    if not campaign.allow_overlap:
        candidates = candidates.exclude(pk__in=busy.values("lead_id"))
    leads = [
        lead
        for lead in candidates.only("pk", "email", "timezone").order_by("pk")
        if lead.email not in suppressions
    ]
    if not leads:
        return 0
    mailboxes = assign_mailboxes(list(campaign.mailboxes.filter(status="active")), len(leads))
    rng = random.Random()
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                campaign=campaign,
                lead=lead,
                mailbox=mailbox,
                next_due_at=next_send_time(
                    campaign, now, lead=lead, jitter_seconds=campaign.launch_spread_seconds, rng=rng
                ),
            )
            for lead, mailbox in zip(leads, mailboxes, strict=True)
        ]
    )
    return len(leads)


def campaign_launch(*, campaign: Campaign) -> int:
    problems = launch_problems(campaign)
    if problems:
        raise LaunchError(problems)
    held = launch_content_gate(campaign)  # the AI content filter: may hold the campaign
    if held:
        raise LaunchError([Problem(held, reverse("campaign_sequence", args=[campaign.pk]))])
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status not in (Campaign.Status.DRAFT, Campaign.Status.PAUSED):
            raise LaunchError([Problem(_("This campaign is already running."), "")])
        if campaign.status == Campaign.Status.PAUSED:
            bounce_count_restart(campaign=campaign)
        before, campaign.status = campaign.status, Campaign.Status.RUNNING
        campaign.launched_at = campaign.launched_at or timezone.now()
        campaign.save(update_fields=["status", "launched_at"])
        webhook_events.campaign_status_changed(campaign, before=before)
        return campaign_enroll(campaign=campaign)


def campaign_pause(*, campaign: Campaign) -> None:
    """Nothing new is claimed; messages already handed to a send task finish."""
    with transaction.atomic():
        paused = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.RUNNING).update(
            status=Campaign.Status.PAUSED
        )
        if paused:
            campaign.status = Campaign.Status.PAUSED
            webhook_events.campaign_status_changed(campaign, before=Campaign.Status.RUNNING)


def campaign_stop(*, campaign: Campaign) -> None:
    with transaction.atomic():
        before = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
        Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
        if before != Campaign.Status.COMPLETED:
            campaign.status = Campaign.Status.COMPLETED
            webhook_events.campaign_status_changed(campaign, before=before)
        enrollments_stop(
            enrollments=Enrollment.objects.filter(campaign=campaign),
            reason=StopReason.CAMPAIGN_STOPPED,
        )


def campaign_add_leads(*, campaign: Campaign, lead_ids: list[int]) -> tuple[int, int]:
    """Put leads into a list of the campaign's own — its first list that no other campaign
    uses, or a new one named for the campaign — and, if it is running, enroll them at once (as
    the Review page's "enroll new leads"). A list shared with another campaign is never grown
    this way: the leads would reach that campaign too. Returns (added to the list, enrolled
    now)."""
    ids = set(lead_ids)
    leads = list(Lead.objects.for_workspace(campaign.workspace).filter(pk__in=ids))
    if len(leads) != len(ids):
        raise LeadError(_("No such lead in this workspace."), field="lead_ids", code="not_found")
    with transaction.atomic():
        shared = (
            Campaign.lead_lists.through.objects.filter(leadlist_id=OuterRef("pk"))
            .exclude(campaign_id=campaign.pk)
            .values("pk")
        )
        lead_list = campaign.lead_lists.exclude(Exists(shared)).order_by("pk").first()
        if lead_list is None:
            lead_list = LeadList.objects.create(
                workspace=campaign.workspace, name=_free_list_name(campaign)
            )
            campaign.lead_lists.add(lead_list)
        before = LeadMembership.objects.filter(lead_list=lead_list, lead__in=leads).count()
        LeadMembership.objects.bulk_create(
            [LeadMembership(lead=lead, lead_list=lead_list) for lead in leads],
            ignore_conflicts=True,
        )
    enrolled = (
        campaign_enroll(campaign=campaign) if campaign.status == Campaign.Status.RUNNING else 0
    )
    return len(leads) - before, enrolled


def _free_list_name(campaign: Campaign) -> str:
    """'<campaign> (<id>)', numbered on when the workspace already has a list of that name."""
    base = f"{campaign.name[:100]} ({campaign.pk})"
    taken = set(
        LeadList.objects.for_workspace(campaign.workspace)
        .filter(name__startswith=base)
        .values_list("name", flat=True)
    )
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base} {number}"
    return name


@receiver(ai_signals.content_released)
def resume_released(sender, *, workspace, campaign_id, **kwargs):
    """An operator released the held content: the campaign launches (or resumes) again."""
    campaign = Campaign.objects.filter(workspace=workspace, pk=campaign_id).first()
    if campaign is None or campaign.held_at is None:
        return
    Campaign.objects.filter(pk=campaign.pk).update(held_at=None, paused_reason="")
    campaign.held_at, campaign.paused_reason = None, ""
    try:
        campaign_launch(campaign=campaign)
    except LaunchError as exc:  # e.g. its mailbox was paused meanwhile: the user resumes later
        log.info("Released campaign %s does not launch yet: %s", campaign.pk, exc)
