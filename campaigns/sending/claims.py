"""Set-based claims (issue 27): queue the due work of a batch of mailboxes in a fixed number of
statements, whatever the batch's size, keeping every rule the dispatcher keeps (DESIGN §4 step 3).

One transaction per batch:
1. Lock the batch's mailboxes that may send now — active, past their gap, of a workspace allowed to
   send — with `FOR UPDATE SKIP LOCKED` (a mailbox another claim holds is left to that claim), and
   work out each one's room from its caps (`rotation.send_room`, as `reserve_send_slots` does).
2. Lock each mailbox's due retries and due enrollments, up to its room: on PostgreSQL one
   `LATERAL (… LIMIT room FOR UPDATE SKIP LOCKED)` query for the whole batch; on SQLite, whose
   writers are serialised, one query per mailbox (same rows, same order).
3. Decide, mailbox by mailbox: the campaign's window on the lead's clock, the campaign's daily cap
   (its `CampaignDay` rows locked in campaign order, so concurrent claims add up exactly), the
   suppression list, the balance (accounts locked in workspace order; what is in flight counted).
4. Write in bulk: the messages (unique per enrollment and step: a duplicate aborts the whole
   claim), the counters, the reschedules and the mailboxes' spent capacity.
Suppression is checked again right before SMTP (delivery), and so are the balance, the content
filter and suspension.
"""

from __future__ import annotations

import datetime
import random
import zoneinfo
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, When
from django.utils import timezone

from accounts.models import Workspace
from billing.models import BillingAccount
from billing.services import account_for, emails_left
from campaigns.leads.suppression import Suppressions
from campaigns.lifecycle import enrollment_complete, enrollments_stop
from campaigns.models import (
    Campaign,
    CampaignDay,
    Enrollment,
    OutboundMessage,
    Step,
    StopReason,
)
from campaigns.schedule import in_window, next_send_time, send_zone
from campaigns.sending.billing_gate import IN_FLIGHT, pause_for_balance
from core.db import create_each, update_set
from smtp_accounts.models import Mailbox
from smtp_accounts.rotation import send_room, slots_spent

# Messages a mailbox hands to one send task (one SMTP session); see delivery.BUDGET.
BATCH = 200
RETRY_JITTER = 600
# Due enrollments looked at beyond a mailbox's room: those outside their window or over their
# campaign's cap are rescheduled, so a few of them do not cost the mailbox its turn.
LOOKAHEAD = 10

CAPACITY_FIELDS = [
    "pk", "workspace_id", "status", "timezone", "daily_cap", "hourly_cap", "min_gap_seconds",
    "gap_jitter_seconds", "warmup_enabled", "warmup_start", "warmup_increment",
    "warmup_started_on", "sent_today", "sent_today_date", "sent_this_hour", "hour_window_start",
    "next_send_at", "capped_until",
]  # fmt: skip


def mailboxes_claim(
    *, mailbox_ids: list[int], now: datetime.datetime, batch: int = BATCH
) -> dict[int, list[int]]:
    """Queue up to `batch` messages for each of these mailboxes, as far as every limit allows;
    returns each mailbox's queued message ids (retries first), for its send task."""
    with transaction.atomic():
        clock = timezone.now()  # capacity is spent on the wall clock, as reserve_send_slots does
        mailboxes = _lock_mailboxes(mailbox_ids, clock)
        room = {m.pk: min(batch, send_room(m, clock)) for m in mailboxes}
        retries = _due_retries(room, now)
        wanted = {
            pk: min(batch - len(retries[pk]), free - len(retries[pk]) + LOOKAHEAD)
            for pk, free in room.items()
            if free > len(retries[pk])
        }
        enrollments = _due_enrollments(wanted, now)
        claim = _Claim(now, [e for found in enrollments.values() for e in found])
        queued = {}
        for mailbox in mailboxes:
            free = room[mailbox.pk] - len(retries[mailbox.pk])
            queued[mailbox.pk] = claim.decide(enrollments[mailbox.pk], free)
        claim.save(mailboxes)
        spent = []
        for mailbox in mailboxes:
            granted = len(retries[mailbox.pk]) + len(queued[mailbox.pk])
            if granted or not room[mailbox.pk]:
                for field, value in slots_spent(mailbox, clock, granted).items():
                    setattr(mailbox, field, value)
                spent.append(mailbox)
        update_set(spent, _SPENT_FIELDS)
        retry_ids = [pk for ids in retries.values() for pk in ids]
        OutboundMessage.objects.filter(pk__in=retry_ids).update(next_attempt_at=None)
    return {
        m.pk: retries[m.pk] + [message.pk for message in queued[m.pk]]
        for m in mailboxes
        if retries[m.pk] or queued[m.pk]
    }


_SPENT_FIELDS = [
    "sent_today",
    "sent_today_date",
    "sent_this_hour",
    "hour_window_start",
    "next_send_at",
    "capped_until",
]


def _lock_mailboxes(mailbox_ids: list[int], clock: datetime.datetime) -> list[Mailbox]:
    queryset = (
        Mailbox.objects.filter(pk__in=mailbox_ids, status=Mailbox.Status.ACTIVE)
        .filter(Q(next_send_at__isnull=True) | Q(next_send_at__lte=clock))
        # A suspended workspace, or one whose only owners are deactivated, sends nothing.
        .filter(workspace__in=Workspace.objects.allowed_to_send())
        .only(*CAPACITY_FIELDS)
        .order_by("pk")
    )
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset)


def _due_retries(room: dict[int, int], now: datetime.datetime) -> dict[int, list[int]]:
    """Each mailbox's queued messages whose retry is due, oldest first, up to its room."""
    found: dict[int, list[int]] = defaultdict(list)
    wanted = {pk: n for pk, n in room.items() if n > 0}
    if _set_based():
        # One scan of the queued rows for the whole batch, trimmed here to each mailbox's room:
        # retries are few, and a per-mailbox LATERAL over them was planned on the `state` index
        # (thought to hold a row or two), re-reading every message queued so far in the tick.
        due = list(
            OutboundMessage.objects.filter(
                mailbox_id__in=list(wanted),
                state=OutboundMessage.State.QUEUED,
                next_attempt_at__lte=now,
            )
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("mailbox_id", "next_attempt_at", "pk")
            .values_list("pk", "mailbox_id")
        )
        for pk, mailbox_id in due:
            if len(found[mailbox_id]) < wanted[mailbox_id]:
                found[mailbox_id].append(pk)
        return found
    for mailbox_id, n in wanted.items():
        found[mailbox_id] = list(
            OutboundMessage.objects.filter(
                mailbox_id=mailbox_id,
                state=OutboundMessage.State.QUEUED,
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:n]
        )
    return found


def _due_enrollments(wanted: dict[int, int], now: datetime.datetime) -> dict:
    """Each mailbox's due active enrollments of running campaigns, earliest first, up to
    `wanted[mailbox]`, with their leads."""
    found: dict[int, list[Enrollment]] = defaultdict(list)
    due = Enrollment.objects.active().filter(
        next_due_at__lte=now, campaign__status=Campaign.Status.RUNNING
    )
    if _set_based():
        table, campaigns = Enrollment._meta.db_table, Campaign._meta.db_table
        rows = _lateral(
            f"SELECT e.id FROM {table} e JOIN {campaigns} c ON c.id = e.campaign_id"
            " WHERE e.mailbox_id = m.id AND e.status = %s AND e.next_due_at <= %s"
            " AND c.status = %s ORDER BY e.next_due_at, e.id LIMIT m.room"
            " FOR UPDATE OF e SKIP LOCKED",
            [Enrollment.Status.ACTIVE, now, Campaign.Status.RUNNING],
            wanted,
        )
        if rows:
            loaded = due.filter(pk__in=[pk for pk, _m in rows]).select_related("lead")
            for enrollment in loaded.order_by("mailbox_id", "next_due_at", "pk"):
                found[enrollment.mailbox_id].append(enrollment)
        return found
    for mailbox_id, n in wanted.items():
        mine = due.filter(mailbox_id=mailbox_id).select_related("lead")
        found[mailbox_id] = list(mine.order_by("next_due_at", "pk")[:n])
    return found


def _set_based() -> bool:
    return connection.vendor == "postgresql"


def _lateral(inner: str, params: list, room: dict[int, int]) -> list[tuple[int, int]]:
    """(row id, mailbox id) for `inner` run once per mailbox `m` (m.id, m.room), in one query."""
    if not room:
        return []
    sql = (
        "SELECT x.id, m.id FROM unnest(%s::bigint[], %s::integer[]) AS m(id, room)"
        f" CROSS JOIN LATERAL ({inner}) AS x"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(room), list(room.values()), *params])
        return cursor.fetchall()


class _Claim:
    """The decisions of one batch's claim, and their writes (a fixed number of statements)."""

    def __init__(self, now: datetime.datetime, enrollments: list[Enrollment]):
        self.now = now
        self.messages: list[OutboundMessage] = []
        self.later: list[Enrollment] = []  # rescheduled (window closed, campaign cap full)
        self.suppressed: list[int] = []
        self.open_now: dict[tuple[int, str], bool] = {}
        self.wanting: set[int] = set()  # workspaces with an enrollment cleared to send
        attach_campaigns(enrollments)
        self.steps = _steps({e.campaign_id for e in enrollments})
        firsts = {e.campaign for e in enrollments if e.next_step == 1}
        self.days = _lock_campaign_days(firsts, now)  # campaign id → [counter pk, new leads]
        self.added: dict[int, int] = defaultdict(int)
        by_workspace: dict[int, list[str]] = defaultdict(list)
        for enrollment in enrollments:
            by_workspace[enrollment.campaign.workspace_id].append(enrollment.lead.email)
        self.suppressions = Suppressions.for_workspaces(by_workspace)
        # workspace id → emails its balance pays for (None: free), at start and still left
        self.paid_for, self.balance = _admissible(sorted(by_workspace))

    def decide(self, enrollments: list[Enrollment], free: int) -> list[OutboundMessage]:
        """What one mailbox queues from its due `enrollments` within `free` sends."""
        queued = []
        for enrollment in enrollments:
            campaign, lead = enrollment.campaign, enrollment.lead
            zone = (campaign.pk, send_zone(campaign, lead))
            if zone not in self.open_now:
                self.open_now[zone] = in_window(campaign, self.now, lead)
            step = self.steps.get(campaign.pk, {}).get(enrollment.next_step)
            first = step is not None and step.position == 1
            if step is None:  # the sequence was shortened meanwhile
                enrollment_complete(enrollment=enrollment)
            elif not self.open_now[zone]:
                later = next_send_time(campaign, self.now, lead=lead, jitter_seconds=RETRY_JITTER)
                self._reschedule(enrollment, later)
            elif first and self.days[campaign.pk][1] >= campaign.daily_cap:
                tomorrow = _local_midnight_after(campaign, self.now)
                later = next_send_time(campaign, tomorrow, lead=lead, jitter_seconds=RETRY_JITTER)
                self._reschedule(enrollment, later)
            elif lead.email in self.suppressions[campaign.workspace_id]:
                self.suppressed.append(enrollment.pk)
            elif self._pays(campaign.workspace_id, free):
                free -= 1
                if first:
                    self.days[campaign.pk][1] += 1
                    self.added[campaign.pk] += 1
                queued.append(_message(enrollment, step, self.now))
        self.messages.extend(queued)
        return queued

    def _pays(self, workspace_id: int, free: int) -> bool:
        """Whether the mailbox has room and the balance pays for one more (then spent)."""
        self.wanting.add(workspace_id)
        left = self.balance[workspace_id]
        if free <= 0 or (left is not None and left <= 0):
            return False
        if left is not None:
            self.balance[workspace_id] = left - 1
        return True

    def _reschedule(self, enrollment: Enrollment, due: datetime.datetime | None) -> None:
        enrollment.next_due_at = due
        self.later.append(enrollment)

    def save(self, mailboxes: list[Mailbox]) -> None:
        create_each(self.messages)
        if self.added:
            CampaignDay.objects.filter(pk__in=[self.days[c][0] for c in self.added]).update(
                new_leads=F("new_leads")
                + Case(*(When(pk=self.days[c][0], then=n) for c, n in self.added.items()))
            )
        # In flight: the send result schedules each lead's next step.
        Enrollment.objects.filter(pk__in=[m.enrollment_id for m in self.messages]).update(
            next_due_at=None
        )
        update_set(self.later, ["next_due_at"])
        if self.suppressed:
            enrollments_stop(enrollments=self.suppressed, reason=StopReason.SUPPRESSED)
        for workspace_id in sorted(self.wanting):
            if self.paid_for[workspace_id] == 0:  # an empty balance pauses its campaigns
                pause_for_balance(workspace_id)


def _message(enrollment: Enrollment, step: Step, now: datetime.datetime) -> OutboundMessage:
    return OutboundMessage(
        enrollment=enrollment,
        step=step,
        variant=choose_variant(step, enrollment),
        mailbox_id=enrollment.mailbox_id,
        recipient=enrollment.lead.email,
        queued_at=now,
    )


def choose_variant(step: Step, enrollment: Enrollment):
    """The step's variant for this enrollment: by weight, the same on every run."""
    variants = getattr(step, "weighted", None)
    if variants is None:  # once a step: the claim asks for each of its enrollments
        every = list(step.variants.all())
        variants = step.weighted = [v for v in every if v.weight > 0] or every
    rng = random.Random(f"{enrollment.pk}:{step.pk}")
    return rng.choices(variants, weights=[max(v.weight, 1) for v in variants])[0]


def attach_campaigns(enrollments: list[Enrollment]) -> None:
    """One campaign object (with its workspace) per campaign, shared by its enrollments."""
    campaigns = Campaign.objects.filter(pk__in={e.campaign_id for e in enrollments})
    campaigns = {c.pk: c for c in campaigns.select_related("workspace")}
    for enrollment in enrollments:
        enrollment.campaign = campaigns[enrollment.campaign_id]


def _steps(campaign_ids: set[int]) -> dict[int, dict[int, Step]]:
    steps: dict[int, dict[int, Step]] = defaultdict(dict)
    if campaign_ids:
        for step in Step.objects.filter(campaign_id__in=campaign_ids).prefetch_related("variants"):
            steps[step.campaign_id][step.position] = step
    return steps


def _lock_campaign_days(campaigns: set[Campaign], now: datetime.datetime) -> dict[int, list]:
    """Each campaign's counter of new leads queued on its local day, locked until the claim
    commits (a concurrent claim for the same campaign waits, then reads the sum)."""
    days = {c.pk: _local_day(c, now) for c in campaigns}
    if not days:
        return {}
    CampaignDay.objects.bulk_create(
        # In campaign order too: two claims inserting the same new rows wait, never deadlock.
        [CampaignDay(campaign_id=pk, day=day) for pk, day in sorted(days.items())],
        ignore_conflicts=True,
    )
    rows = (
        CampaignDay.objects.select_for_update()
        .filter(campaign_id__in=days, day__in=set(days.values()))
        .order_by("campaign_id", "day")  # one locking order for every claim: no deadlock
        .values_list("pk", "campaign_id", "day", "new_leads")
    )
    return {c: [pk, n] for pk, c, day, n in rows if days[c] == day}


def _admissible(workspace_ids: list[int]) -> tuple[dict, dict]:
    """What each workspace's balance admits now, after what is already queued or being sent;
    its account row stays locked until the claim commits, so concurrent claims admit against
    the same figure (billing_gate.admissible, for many workspaces at once). Returns what each
    balance pays for, and what is left of it after what is in flight (None: emails are free)."""
    paid_for: dict[int, int | None] = {}
    left: dict[int, int | None] = {}
    if not workspace_ids:
        return paid_for, left
    accounts = list(
        BillingAccount.objects.select_for_update()
        .filter(workspace_id__in=workspace_ids)
        .order_by("workspace_id")  # one locking order for every claim: no deadlock
        .values_list("workspace_id", "balance")
    )
    found = dict(accounts)
    for workspace_id in set(workspace_ids) - found.keys():  # created with the defaults
        found[workspace_id] = account_for(workspace_id, lock=True).balance
    in_flight = dict(
        OutboundMessage.objects.filter(mailbox__workspace_id__in=workspace_ids, state__in=IN_FLIGHT)
        .values_list("mailbox__workspace_id")
        .annotate(n=Count("pk"))
        .values_list("mailbox__workspace_id", "n")
    )
    for workspace_id, balance in found.items():
        paid_for[workspace_id] = n = emails_left(balance)
        left[workspace_id] = None if n is None else n - in_flight.get(workspace_id, 0)
    return paid_for, left


def _local_day(campaign: Campaign, now: datetime.datetime) -> datetime.date:
    return now.astimezone(zoneinfo.ZoneInfo(campaign.timezone)).date()


def _local_midnight_after(campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    tz = zoneinfo.ZoneInfo(campaign.timezone)
    tomorrow = now.astimezone(tz).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(tomorrow, datetime.time(0), tzinfo=tz)
