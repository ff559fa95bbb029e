"""Bulk actions on leads: the rows ticked on the Leads page, or every lead matching its filter.

Each action takes a queryset already scoped to one workspace (the view builds it with
`for_workspace`), works set-based (a few queries whatever the number of leads) and returns
counts for the result message. The confirmation that comes first is built here too, from the
same queryset, so what it announces is what the action does.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import AuditLog, Workspace
from accounts.services import audit_log
from campaigns.leads.suppression import suppressions_add
from campaigns.models import (
    Campaign,
    Enrollment,
    Lead,
    LeadImport,
    LeadImportFill,
    LeadList,
    LeadMembership,
    Suppression,
)
from core.confirm import Confirmation

CHUNK = 2000


def leads_delete(*, workspace: Workspace, leads: QuerySet, request=None) -> int:
    """Delete the leads with their list memberships and enrollments (queued mail goes with
    them); suppression entries stay, they belong to the workspace. Returns how many."""
    with transaction.atomic():
        ids = list(leads.filter(workspace=workspace).values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            Lead.objects.filter(pk__in=ids[start : start + CHUNK]).delete()
        if ids:
            audit_log(
                action=AuditLog.Action.LEADS_DELETED, request=request, workspace=workspace,
                count=len(ids),
            )  # fmt: skip
    return len(ids)


def leads_add_to_list(*, leads: QuerySet, lead_list: LeadList) -> int:
    """Add the leads to a list of the same workspace; returns how many were not in it yet."""
    with transaction.atomic():
        already = set(
            LeadMembership.objects.filter(lead_list=lead_list, lead__in=leads).values_list(
                "lead_id", flat=True
            )
        )
        new = [
            LeadMembership(lead_id=pk, lead_list=lead_list)
            for pk in leads.filter(workspace_id=lead_list.workspace_id).values_list("pk", flat=True)
            if pk not in already
        ]
        LeadMembership.objects.bulk_create(new, ignore_conflicts=True, batch_size=CHUNK)
    return len(new)


def leads_tag(*, leads: QuerySet, tag: str) -> int:
    """Add `tag` to every lead that lacks it; returns how many gained it."""
    tag = tag.strip().lower().replace(",", " ")
    if not tag:
        raise ValueError(_("Type a tag to add."))
    changed = 0
    with transaction.atomic():
        lacking = leads.exclude(tags__contains=f",{tag},").only("pk", "tags")
        batch = []
        for lead in lacking.iterator(chunk_size=CHUNK):
            lead.tags = Lead.tags_value([*lead.tag_list, tag])
            batch.append(lead)
            if len(batch) >= CHUNK:
                Lead.objects.bulk_update(batch, ["tags"])
                changed, batch = changed + len(batch), []
        Lead.objects.bulk_update(batch, ["tags"])
        changed += len(batch)
    return changed


def leads_suppress(*, workspace: Workspace, leads: QuerySet, request=None) -> tuple[int, int]:
    """Put the leads' addresses on the suppression list: no campaign writes to them again
    (checked at claim and before SMTP). Returns (added, already suppressed)."""
    with transaction.atomic():
        addresses = leads.filter(workspace=workspace).values_list("email", flat=True)
        added, already = suppressions_add(
            workspace=workspace,
            entries=addresses.iterator(chunk_size=CHUNK),
            reason=Suppression.Reason.MANUAL,
            note=_("Suppressed from the Leads page"),
        )
        if added:
            audit_log(
                action=AuditLog.Action.LEADS_SUPPRESSED, request=request, workspace=workspace,
                count=added,
            )  # fmt: skip
    return added, already


def bulk_context(workspace) -> dict:
    """What the bulk bar offers: the workspace's lists and the campaigns that take leads."""
    return {
        "lists": LeadList.objects.for_workspace(workspace).annotate(size=Count("leads")),
        "bulk_campaigns": Campaign.objects.for_workspace(workspace).filter(
            status__in=[Campaign.Status.DRAFT, Campaign.Status.RUNNING, Campaign.Status.PAUSED],
            archived_at__isnull=True,
        ),
    }


# --- what a confirmation says ------------------------------------------------------------------


def leads_delete_confirmation(
    leads: QuerySet, *, action_url: str, cancel_url: str, title: str = "", fields=None
) -> Confirmation:
    numbers = leads.aggregate(
        n=Count("pk", distinct=True),
        active=Count(
            "enrollments",
            filter=Q(enrollments__status=Enrollment.Status.ACTIVE),
            distinct=True,
        ),
    )
    n, active = numbers["n"], numbers["active"]
    consequences = [
        ngettext(
            "%(n)s lead is deleted, with its list memberships and custom fields.",
            "%(n)s leads are deleted, with their list memberships and custom fields.",
            n,
        )
        % {"n": number_format(n, force_grouping=True)},
        _("Unsubscribes and bounces stay on the suppression list."),
    ]
    if active:
        consequences.insert(
            1,
            ngettext(
                "%(n)s running sequence ends at once; its queued messages are removed.",
                "%(n)s running sequences end at once; their queued messages are removed.",
                active,
            )
            % {"n": number_format(active, force_grouping=True)},
        )
    return Confirmation(
        title=title
        or ngettext("Delete %(n)s lead?", "Delete %(n)s leads?", n)
        % {"n": number_format(n, force_grouping=True)},
        consequences=consequences,
        action_url=action_url,
        fields=fields or {},
        confirm_label=ngettext("Delete lead", "Delete %(n)s leads", n)
        % {"n": number_format(n, force_grouping=True)},
        cancel_url=cancel_url,
        note=_("This cannot be undone."),
    )


def lead_import_rollback_forecast(*, lead_import: LeadImport) -> dict[str, int]:
    """What lead_import_rollback would do now, counted the same way, changing nothing."""
    memberships = LeadMembership.objects.filter(added_by_import=lead_import)
    kept_elsewhere = LeadMembership.objects.exclude(added_by_import=lead_import).filter(
        lead__created_by_import=lead_import
    )
    orphans = Lead.objects.filter(created_by_import=lead_import).exclude(
        pk__in=kept_elsewhere.values("lead_id")
    )
    return {
        "memberships": memberships.count(),
        "leads_removed": orphans.count(),
        "leads_restored": LeadImportFill.objects.filter(lead_import=lead_import).count(),
        "enrollments": Enrollment.objects.filter(lead__in=orphans).count(),
    }
