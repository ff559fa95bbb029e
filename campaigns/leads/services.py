"""Leads one at a time or in batches, for callers other than the CSV import (the REST API).

The rules are the import's (campaigns/lead_import.py): the same address syntax, field lengths
and time zones, suppressed addresses refused, one lead per address in a workspace. Unlike an
import, which only fills blanks, an upsert writes the values it is given: a CRM syncing its
records is the source of truth for them.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Workspace
from campaigns.leads.addresses import EmailNotValidError, normalize_address
from campaigns.leads.imports import LIMITS
from campaigns.leads.suppression import Suppressions
from campaigns.models import Lead, LeadList, LeadMembership

EDITABLE = tuple(LIMITS)  # first_name … timezone
MAX_CUSTOM_VALUE = 1000
MAX_BATCH = 1000


class LeadError(ValueError):
    def __init__(self, message: str, *, field: str = "", code: str = "invalid"):
        super().__init__(message)
        self.field, self.code = field, code


@dataclass
class LeadData:
    email: str
    fields: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] | None = None
    tags: list[str] | None = None


def lead_data_clean(
    *, email: str, fields: dict, custom: dict | None = None, tags: list[str] | None = None
) -> LeadData:
    """Validated, normalised values (raises LeadError naming the field)."""
    try:
        email = normalize_address((email or "").strip())
    except EmailNotValidError as exc:
        raise LeadError(
            _("“%(email)s” is not a valid email address: %(error)s")
            % {"email": email, "error": exc},
            field="email",
        ) from exc
    clean = {}
    for name, value in fields.items():
        if name not in LIMITS:
            raise LeadError(_("Unknown field %(name)s.") % {"name": name}, field=name)
        value = "" if value is None else str(value).strip()
        if "\x00" in value:
            raise LeadError(_("%(name)s holds a NUL character.") % {"name": name}, field=name)
        if len(value) > LIMITS[name]:
            raise LeadError(
                _("%(name)s is longer than %(n)s characters.") % {"name": name, "n": LIMITS[name]},
                field=name,
            )
        clean[name] = value
    if clean.get("timezone"):
        try:
            zoneinfo.ZoneInfo(clean["timezone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise LeadError(
                _("“%(tz)s” is not a time zone (e.g. Europe/Berlin).") % {"tz": clean["timezone"]},
                field="timezone",
            ) from exc
    if custom is not None:
        custom_clean = {}
        for key, value in custom.items():
            key = str(key).strip()
            text = "" if value is None else str(value)
            if not key or len(key) > 100 or "\x00" in key + text:
                raise LeadError(_("Custom field names are 1–100 characters."), field="custom")
            if len(text) > MAX_CUSTOM_VALUE:
                raise LeadError(
                    _("Custom field %(key)s is longer than %(n)s characters.")
                    % {"key": key, "n": MAX_CUSTOM_VALUE},
                    field=f"custom.{key}",
                )
            custom_clean[key] = text
        custom = custom_clean
    if tags is not None:
        tags = [str(t) for t in tags]
        if len(Lead.tags_value(tags)) > 500 or any("\x00" in t for t in tags):
            raise LeadError(_("Too many tags (500 characters at most)."), field="tags")
    return LeadData(email, clean, custom, tags)


def _apply(lead: Lead, data: LeadData) -> None:
    lead.email = data.email
    for name, value in data.fields.items():
        setattr(lead, name, value)
    if data.custom is not None:
        lead.custom = {**lead.custom, **data.custom}
    if data.tags is not None:
        lead.tags = Lead.tags_value(data.tags)


def _lists(workspace: Workspace, list_ids: list[int]) -> list[LeadList]:
    lists = list(LeadList.objects.for_workspace(workspace).filter(pk__in=set(list_ids)))
    if len(lists) != len(set(list_ids)):
        raise LeadError(_("No such list in this workspace."), field="list_ids", code="not_found")
    return lists


def lead_create(*, workspace: Workspace, data: LeadData, list_ids: list[int] = ()) -> Lead:
    lists = _lists(workspace, list(list_ids))
    if data.email.lower() in Suppressions.for_addresses(workspace, [data.email]):
        raise LeadError(
            _("%(email)s is on the suppression list.") % {"email": data.email},
            field="email",
            code="suppressed",
        )
    if Lead.objects.for_workspace(workspace).filter(email_normalized=data.email.lower()).exists():
        raise LeadError(
            _("A lead with %(email)s exists already.") % {"email": data.email},
            field="email",
            code="conflict",
        )
    with transaction.atomic():
        lead = Lead(workspace=workspace)
        _apply(lead, data)
        lead.save()
        LeadMembership.objects.bulk_create(
            [LeadMembership(lead=lead, lead_list=ll) for ll in lists], ignore_conflicts=True
        )
    return lead


def lead_update(
    *, lead: Lead, data: LeadData, status: str | None = None, list_ids: list[int] | None = None
) -> Lead:
    clash = (
        Lead.objects.filter(workspace_id=lead.workspace_id, email_normalized=data.email.lower())
        .exclude(pk=lead.pk)
        .exists()
    )
    if clash:
        raise LeadError(_("Another lead already has this address."), field="email", code="conflict")
    if status is not None and status not in Lead.Status.values:
        raise LeadError(_("Unknown status."), field="status")
    lists = None if list_ids is None else _lists(lead.workspace, list_ids)
    with transaction.atomic():
        _apply(lead, data)
        if status is not None:
            lead.status = status
        lead.save()
        if lists is not None:
            LeadMembership.objects.filter(lead=lead).exclude(lead_list__in=lists).delete()
            LeadMembership.objects.bulk_create(
                [LeadMembership(lead=lead, lead_list=ll) for ll in lists], ignore_conflicts=True
            )
    return lead


def leads_upsert(
    *, workspace: Workspace, rows: list[dict], lead_list: LeadList | None = None
) -> list[dict]:
    """Create or update up to MAX_BATCH leads by address, in one transaction; one result per
    row, in order: created / updated (with the lead id) or an error naming the field."""
    if len(rows) > MAX_BATCH:
        raise LeadError(_("At most %(n)s leads per request.") % {"n": MAX_BATCH}, field="leads")
    results: list[dict] = []
    valid: dict[str, tuple[int, LeadData]] = {}
    for index, row in enumerate(rows):
        result = {"index": index, "email": str(row.get("email") or "")[:254]}
        results.append(result)
        try:
            data = lead_data_clean(
                email=row.get("email") or "",
                fields=row.get("fields") or {},
                custom=row.get("custom"),
                tags=row.get("tags"),
            )
        except LeadError as exc:
            result.update(
                status="error", error={"code": exc.code, "message": str(exc), "field": exc.field}
            )
            continue
        key = data.email.lower()
        result["email"] = data.email
        if key in valid:
            result.update(
                status="error",
                error={
                    "code": "duplicate",
                    "message": _("Same address as row %(i)s.") % {"i": valid[key][0]},
                    "field": "email",
                },
            )
            continue
        valid[key] = (index, data)
    suppressed = Suppressions.for_addresses(workspace, list(valid))
    for key in [k for k in valid if k in suppressed]:
        index, data = valid.pop(key)
        results[index].update(
            status="error",
            error={
                "code": "suppressed",
                "message": _("%(email)s is on the suppression list.") % {"email": data.email},
                "field": "email",
            },
        )
    with transaction.atomic():
        existing = {
            lead.email_normalized: lead
            for lead in Lead.objects.for_workspace(workspace).filter(
                email_normalized__in=list(valid)
            )
        }
        now = timezone.now()
        new, changed = [], []
        for key, (_index, data) in valid.items():
            lead = existing.get(key) or Lead(
                workspace=workspace, email_normalized=key, created_at=now
            )
            _apply(lead, data)
            lead.updated_at = now
            (changed if lead.pk else new).append(lead)
        Lead.objects.bulk_create(new)
        if changed:
            Lead.objects.bulk_update(
                changed, ["email", *EDITABLE, "custom", "tags", "updated_at"], batch_size=500
            )
        if lead_list is not None:
            LeadMembership.objects.bulk_create(
                [LeadMembership(lead=lead, lead_list=lead_list) for lead in [*new, *changed]],
                ignore_conflicts=True,
            )
    for lead in new:
        results[valid[lead.email_normalized][0]].update(status="created", id=lead.pk)
    for lead in changed:
        results[valid[lead.email_normalized][0]].update(status="updated", id=lead.pk)
    return results


def campaign_add_leads(*, campaign, lead_ids: list[int]) -> tuple[int, int]:
    """Put leads into the campaign's first list (a list named for the campaign when it has
    none) and, if it is running, enroll them at once (as the Review page's "enroll new leads").
    Returns (added to the list, enrolled now)."""
    from campaigns.models import Campaign
    from campaigns.sending.launch import campaign_enroll

    ids = set(lead_ids)
    leads = list(Lead.objects.for_workspace(campaign.workspace).filter(pk__in=ids))
    if len(leads) != len(ids):
        raise LeadError(_("No such lead in this workspace."), field="lead_ids", code="not_found")
    with transaction.atomic():
        lead_list = campaign.lead_lists.order_by("pk").first()
        if lead_list is None:
            lead_list, _created = LeadList.objects.get_or_create(
                workspace=campaign.workspace, name=f"{campaign.name} ({campaign.pk})"[:120]
            )
            campaign.lead_lists.add(lead_list)
        before = LeadMembership.objects.filter(lead_list=lead_list, lead__in=leads).count()
        LeadMembership.objects.bulk_create(
            [LeadMembership(lead=lead, lead_list=lead_list) for lead in leads],
            ignore_conflicts=True,
        )
    enrolled = campaign_enroll(campaign) if campaign.status == Campaign.Status.RUNNING else 0
    return len(leads) - before, enrolled
