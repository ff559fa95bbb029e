"""Campaigns: numbers, sequences, drafts, and the launch / pause / resume / stop controls.

Rules are the wizard's: its forms validate settings, the authoring services edit sequences,
and launching runs the Review page's checks (campaigns/launch.py), answered as a list.
"""

from __future__ import annotations

import datetime

from django import forms
from django.db import transaction
from django.db.models import Sum
from django.forms.models import model_to_dict
from ninja import Field, Query, Router, Schema, Status

from api.core import ERRORS, MAX_LIMIT, ApiProblem, Problem, page
from campaigns.authoring import services as authoring
from campaigns.authoring.forms import (
    CampaignLeadsForm,
    CampaignMailboxesForm,
    CampaignScheduleForm,
    StepForm,
)
from campaigns.leads.services import LeadError, campaign_add_leads
from campaigns.models import METRICS, Campaign, CampaignStat, LeadList
from campaigns.sending.launch import (
    LaunchError,
    campaign_launch,
    campaign_pause,
    campaign_stop,
    launch_problems,
)
from core.tenancy import get_for_workspace_or_404
from smtp_accounts.models import Mailbox

router = Router(tags=["campaigns"])


class Numbers(Schema):
    enrolled: int
    completed: int
    stopped: int
    sent: int
    failed: int
    bounced: int
    returned: int
    unknown: int
    opened: int
    clicked: int
    replied: int
    unsubscribed: int


TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Schedule(Schema):
    timezone: str
    lead_time_zones: bool
    send_days: list[int] = Field(description="0 = Monday … 6 = Sunday")
    window_start: str = Field(description="HH:MM in the campaign's time zone")
    window_end: str = Field(description="HH:MM in the campaign's time zone")
    start_date: datetime.date | None
    daily_cap: int
    track_opens: bool
    track_clicks: bool
    stop_on_reply: bool
    stop_company_on_reply: bool
    auto_reply_is_reply: bool
    allow_overlap: bool
    bounce_limit: int
    unsubscribe_footer: str


class ScheduleIn(Schema):
    timezone: str | None = Field(None, max_length=64)
    lead_time_zones: bool | None = None
    send_days: list[int] | None = Field(None, description="0 = Monday … 6 = Sunday")
    window_start: str | None = Field(None, pattern=TIME, description="HH:MM")
    window_end: str | None = Field(None, pattern=TIME, description="HH:MM")
    start_date: datetime.date | None = None
    daily_cap: int | None = Field(None, ge=0, le=100_000)
    track_opens: bool | None = None
    track_clicks: bool | None = None
    stop_on_reply: bool | None = None
    stop_company_on_reply: bool | None = None
    auto_reply_is_reply: bool | None = None
    allow_overlap: bool | None = None
    bounce_limit: int | None = Field(None, ge=0, le=100)
    unsubscribe_footer: str | None = Field(None, max_length=5000)


class VariantOut(Schema):
    id: int
    label: str
    subject: str
    body_html: str
    body_text: str
    weight: int


class StepOut(Schema):
    id: int
    position: int
    delay_days: int
    delay_hours: int
    in_thread: bool
    variants: list[VariantOut]


class VariantIn(Schema):
    subject: str = Field("", max_length=500)
    body_html: str = Field("", max_length=100_000)
    weight: int = Field(1, ge=0, le=100)


class StepIn(Schema):
    delay_days: int = Field(3, ge=0, le=365)
    delay_hours: int = Field(0, ge=0, le=23)
    in_thread: bool = True
    variants: list[VariantIn] = Field(..., min_length=1, max_length=26)


class CampaignSummary(Schema):
    id: int
    name: str
    status: str
    paused_reason: str
    created_at: datetime.datetime
    launched_at: datetime.datetime | None
    numbers: Numbers


class CampaignPage(Schema):
    data: list[CampaignSummary]
    next_cursor: str | None


class CampaignOut(CampaignSummary):
    list_ids: list[int]
    mailbox_ids: list[int]
    schedule: Schedule
    steps: list[StepOut]


class CampaignIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    list_ids: list[int] = []
    mailbox_ids: list[int] = []
    schedule: ScheduleIn | None = None
    steps: list[StepIn] = Field(default_factory=list, max_length=20)


class CampaignPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    list_ids: list[int] | None = None
    mailbox_ids: list[int] | None = None
    schedule: ScheduleIn | None = None
    steps: list[StepIn] | None = Field(None, min_length=1, max_length=20)


class ControlOut(Schema):
    id: int
    status: str
    enrolled: int = 0


class AddLeadsIn(Schema):
    lead_ids: list[int] = Field(..., min_length=1, max_length=1000)


class AddLeadsOut(Schema):
    added: int
    enrolled: int


SCHEDULE_FIELDS = CampaignScheduleForm.Meta.fields


def _numbers(campaign_ids: list[int]) -> dict[int, dict]:
    rows = (
        CampaignStat.objects.filter(campaign_id__in=campaign_ids)
        .values("campaign_id")
        .annotate(**{name: Sum(name, default=0) for name in METRICS})
        .order_by()
    )
    zero = dict.fromkeys(METRICS, 0)
    found = {row.pop("campaign_id"): row for row in rows}
    return {pk: found.get(pk, zero) for pk in campaign_ids}


def _summary(campaign: Campaign, numbers: dict) -> dict:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "status": campaign.status,
        "paused_reason": campaign.paused_reason,
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "numbers": numbers,
    }


def _detail(campaign: Campaign) -> dict:
    schedule = {name: getattr(campaign, name) for name in SCHEDULE_FIELDS}
    schedule["send_days"] = [int(d) for d in campaign.send_days]
    for name in ("window_start", "window_end"):
        schedule[name] = schedule[name].strftime("%H:%M")
    return _summary(campaign, _numbers([campaign.pk])[campaign.pk]) | {
        "list_ids": sorted(campaign.lead_lists.values_list("pk", flat=True)),
        "mailbox_ids": sorted(campaign.mailboxes.values_list("pk", flat=True)),
        "schedule": schedule,
        "steps": [
            {
                "id": step.pk,
                "position": step.position,
                "delay_days": step.delay_days,
                "delay_hours": step.delay_hours,
                "in_thread": step.in_thread,
                "variants": list(step.variants.order_by("label")),
            }
            for step in campaign.steps.order_by("position").prefetch_related("variants")
        ],
    }


API_NAMES = {"lead_lists": "list_ids", "mailboxes": "mailbox_ids"}


def _form_error(form: forms.BaseForm, prefix: str = "") -> ApiProblem:
    name, errors = next(iter(form.errors.items()))
    field = None if name == "__all__" else f"{prefix}{API_NAMES.get(name, name)}"
    message = f"{field}: {errors[0]}" if field else errors[0]
    return ApiProblem(422, "invalid", message, field=field)


def _save_form(form_class, campaign: Campaign, changes: dict, prefix: str = "") -> None:
    fields = form_class.Meta.fields
    data = model_to_dict(campaign, fields=fields)
    for name in ("lead_lists", "mailboxes"):
        if name in data:
            data[name] = [obj.pk for obj in data[name]]
    if "send_days" in data:
        data["send_days"] = list(data["send_days"])
    data.update(changes)
    form = form_class(data, instance=campaign)
    if not form.is_valid():
        raise _form_error(form, prefix)
    form.save()


def _check_ids(workspace, body: CampaignIn | CampaignPatch) -> None:
    """Another workspace's list or mailbox is a 404, as anywhere else."""
    for field, model, ids in (
        ("list_ids", LeadList, body.list_ids),
        ("mailbox_ids", Mailbox, body.mailbox_ids),
    ):
        if ids and (
            any(not 0 < pk < 2**63 for pk in ids)  # no row has it, and SQLite cannot compare it
            or model.objects.for_workspace(workspace).filter(pk__in=set(ids)).count()
            != len(set(ids))
        ):
            raise ApiProblem(
                404, "not_found", f"{field}: no such object in this workspace.", field=field
            )


def _apply(campaign: Campaign, body: CampaignIn | CampaignPatch) -> None:
    info = {}
    if body.name is not None:
        info["name"] = body.name.replace("\x00", "")
    if body.list_ids is not None:
        info["lead_lists"] = body.list_ids
    if info:
        _save_form(CampaignLeadsForm, campaign, info)
    if body.mailbox_ids is not None:
        _save_form(CampaignMailboxesForm, campaign, {"mailboxes": body.mailbox_ids})
    if body.schedule is not None:
        changes = body.schedule.dict(exclude_unset=True)
        changes = {k: v for k, v in changes.items() if v is not None or k == "start_date"}
        if "send_days" in changes:
            days = changes["send_days"]
            if any(d not in range(7) for d in days):
                raise ApiProblem(
                    422,
                    "invalid",
                    "schedule.send_days: 0 (Monday) to 6 (Sunday).",
                    field="schedule.send_days",
                )
            changes["send_days"] = [str(d) for d in days]
        if isinstance(changes.get("unsubscribe_footer"), str):
            changes["unsubscribe_footer"] = changes["unsubscribe_footer"].replace("\x00", "")
        _save_form(CampaignScheduleForm, campaign, changes, "schedule.")
    if body.steps:
        _set_sequence(campaign, body.steps)


def _set_sequence(campaign: Campaign, steps: list[StepIn]) -> None:
    """Make the campaign's steps and variants those given, through the authoring services."""
    existing = list(campaign.steps.order_by("position"))
    while len(existing) < len(steps):
        existing.append(authoring.step_add(campaign=campaign))
    for extra in existing[len(steps) :]:
        authoring.step_remove(step=extra)
    for number, (step, spec) in enumerate(zip(existing, steps, strict=False), start=1):
        step.refresh_from_db()
        form = StepForm(
            {
                "delay_days": spec.delay_days,
                "delay_hours": spec.delay_hours,
                "in_thread": spec.in_thread,
            },
            instance=step,
        )
        if not form.is_valid():
            raise _form_error(form, f"steps.{number}.")
        form.save()
        variants = list(step.variants.order_by("label"))
        while len(variants) < len(spec.variants):
            variants.append(authoring.variant_add(step=step))
        for extra in variants[len(spec.variants) :]:
            authoring.variant_remove(variant=extra)
        for variant, vspec in zip(variants, spec.variants, strict=False):
            authoring.variant_save(
                variant=variant,
                subject=vspec.subject.replace("\x00", ""),
                body_html=vspec.body_html.replace("\x00", ""),
                weight=vspec.weight,
            )


def _campaign(request, campaign_id: int) -> Campaign:
    return get_for_workspace_or_404(Campaign, request.workspace, pk=campaign_id)


@router.get(
    "/campaigns",
    response={200: CampaignPage, **ERRORS},
    summary="List campaigns with their numbers",
)
def list_campaigns(
    request,
    status: Campaign.Status | None = None,
    cursor: str | None = Query(None, max_length=100),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    campaigns = Campaign.objects.for_workspace(request.workspace)
    if status:
        campaigns = campaigns.filter(status=status)
    rows, next_cursor = page(campaigns, cursor=cursor, limit=limit)
    numbers = _numbers([c.pk for c in rows])
    return {"data": [_summary(c, numbers[c.pk]) for c in rows], "next_cursor": next_cursor}


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignOut, **ERRORS},
    summary="Get a campaign with its settings, steps and variants",
)
def get_campaign(request, campaign_id: int):
    return _detail(_campaign(request, campaign_id))


@router.post("/campaigns", response={201: CampaignOut, **ERRORS}, summary="Create a draft")
def create_campaign(request, body: CampaignIn):
    _check_ids(request.workspace, body)
    with transaction.atomic():
        campaign = authoring.campaign_create(workspace=request.workspace, name=body.name)
        try:
            _apply(campaign, body)
        except authoring.AuthoringError as exc:
            raise ApiProblem(422, "invalid", str(exc), field="steps") from exc
    return Status(201, _detail(campaign))


@router.patch(
    "/campaigns/{int:campaign_id}", response={200: CampaignOut, **ERRORS}, summary="Update a draft"
)
def update_campaign(request, campaign_id: int, body: CampaignPatch):
    campaign = _campaign(request, campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise ApiProblem(
            409,
            "not_draft",
            f"Only a draft can be edited; this campaign is {campaign.status}.",
            field="status",
        )
    with transaction.atomic():
        try:
            _apply(campaign, body)
        except authoring.AuthoringError as exc:
            raise ApiProblem(422, "invalid", str(exc), field="steps") from exc
    campaign.refresh_from_db()
    return _detail(campaign)


def _launch(campaign: Campaign) -> dict:
    try:
        enrolled = campaign_launch(campaign)
    except LaunchError as exc:
        problems = [{"message": p.message, "details": p.details} for p in exc.problems]
        raise ApiProblem(409, "launch_blocked", str(exc), problems=problems) from exc
    campaign.refresh_from_db()
    return {"id": campaign.pk, "status": campaign.status, "enrolled": enrolled}


@router.post(
    "/campaigns/{int:campaign_id}/launch",
    response={200: ControlOut, **ERRORS},
    summary="Launch a draft",
    description="Runs the Review page's checks; when any fails, 409 `launch_blocked` lists "
    "every problem in `problems`.",
)
def launch(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if campaign.status != Campaign.Status.DRAFT:
        raise ApiProblem(
            409,
            "not_draft",
            f"This campaign is {campaign.status}; only a draft launches (a paused one resumes).",
            field="status",
        )
    return _launch(campaign)


@router.get(
    "/campaigns/{int:campaign_id}/problems",
    response={200: list[Problem], **ERRORS},
    summary="What stops this campaign from launching (the Review page's checks)",
)
def problems(request, campaign_id: int):
    return [
        {"message": p.message, "details": p.details}
        for p in launch_problems(_campaign(request, campaign_id))
    ]


@router.post(
    "/campaigns/{int:campaign_id}/pause", response={200: ControlOut, **ERRORS}, summary="Pause"
)
def pause(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if campaign.status != Campaign.Status.RUNNING:
        raise ApiProblem(409, "not_running", f"This campaign is {campaign.status}.", field="status")
    campaign_pause(campaign)
    campaign.refresh_from_db()
    return {"id": campaign.pk, "status": campaign.status}


@router.post(
    "/campaigns/{int:campaign_id}/resume", response={200: ControlOut, **ERRORS}, summary="Resume"
)
def resume(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if campaign.status != Campaign.Status.PAUSED:
        raise ApiProblem(409, "not_paused", f"This campaign is {campaign.status}.", field="status")
    return _launch(campaign)


@router.post(
    "/campaigns/{int:campaign_id}/stop",
    response={200: ControlOut, **ERRORS},
    summary="Stop for good",
)
def stop(request, campaign_id: int):
    campaign = _campaign(request, campaign_id)
    if campaign.status not in (Campaign.Status.RUNNING, Campaign.Status.PAUSED):
        raise ApiProblem(409, "not_running", f"This campaign is {campaign.status}.", field="status")
    campaign_stop(campaign)
    campaign.refresh_from_db()
    return {"id": campaign.pk, "status": campaign.status}


@router.post(
    "/campaigns/{int:campaign_id}/leads",
    response={200: AddLeadsOut, **ERRORS},
    summary="Add leads to a campaign (enrolled at once when it is running)",
)
def add_leads(request, campaign_id: int, body: AddLeadsIn):
    campaign = _campaign(request, campaign_id)
    if campaign.status in (Campaign.Status.COMPLETED, Campaign.Status.ARCHIVED):
        raise ApiProblem(409, "finished", f"This campaign is {campaign.status}.", field="status")
    try:
        added, enrolled = campaign_add_leads(campaign=campaign, lead_ids=body.lead_ids)
    except LeadError as exc:
        raise ApiProblem(404, exc.code, str(exc), field=exc.field) from exc
    return {"added": added, "enrolled": enrolled}
