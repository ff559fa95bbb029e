"""The workspace's Reports page: every campaign's counters over a date range, by campaign, by
mailbox or by day, read from the same counters (`CampaignStat`) and made into figures by the
same `numbers.outcome` as a campaign's own report, so the two never disagree.

A page costs a fixed number of queries whatever the number of campaigns, mailboxes or days:
one grouped sum of the counters, one for the machine opens and clicks (from the events), one
for the labels. Days are UTC days, as the counters keep them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import METRICS, Campaign, CampaignStat, Event
from campaigns.reports.numbers import _sums, outcome
from smtp_accounts.models import Mailbox

UTC = datetime.UTC
DEFAULT_DAYS = 30
MAX_DAYS = 366

GROUPINGS = {
    "campaign": gettext_lazy("By campaign"),
    "mailbox": gettext_lazy("By mailbox"),
    "day": gettext_lazy("By day"),
}
# The counter column each grouping sums under, and the same key reached from an event.
_STAT_KEY = {"campaign": "campaign_id", "mailbox": "mailbox_id", "day": "day"}
_EVENT_KEY = {
    "campaign": "message__enrollment__campaign_id",
    "mailbox": "message__mailbox_id",
    "day": "event_day",
}

# The columns of a row, in the order of the table and of the CSV.
FIGURES = {
    "enrolled": gettext_lazy("Enrolled"),
    "sent": gettext_lazy("Sent"),
    "delivered": gettext_lazy("Delivered"),
    "opened": gettext_lazy("Opened (people)"),
    "opened_rate": gettext_lazy("Open rate %"),
    "machine_opened": gettext_lazy("Opened by machines"),
    "clicked": gettext_lazy("Clicked (people)"),
    "clicked_rate": gettext_lazy("Click rate %"),
    "machine_clicked": gettext_lazy("Clicked by scanners"),
    "replied": gettext_lazy("Replied"),
    "replied_rate": gettext_lazy("Reply rate %"),
    "bounced": gettext_lazy("Bounced"),
    "bounced_rate": gettext_lazy("Bounce rate %"),
    "unsubscribed": gettext_lazy("Unsubscribed"),
    "failed": gettext_lazy("Failed"),
}


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date  # included

    @classmethod
    def last_days(cls, today: datetime.date, days: int = DEFAULT_DAYS) -> Period:
        return cls(today - datetime.timedelta(days=days - 1), today)

    @property
    def days(self) -> list[datetime.date]:
        return [
            self.start + datetime.timedelta(days=i) for i in range((self.end - self.start).days + 1)
        ]

    def moments(self) -> tuple[datetime.datetime, datetime.datetime]:
        """From the start's midnight (UTC) to the midnight after the end, excluded."""
        start = datetime.datetime.combine(self.start, datetime.time(), tzinfo=UTC)
        return start, datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time(), tzinfo=UTC
        )


def workspace_report(*, workspace, period: Period, by: str) -> dict:
    """Rows (one per campaign, mailbox or day with anything counted in the period; every day
    of the period when by day) and their totals."""
    if by not in GROUPINGS:
        raise ValueError(by)
    key = _STAT_KEY[by]
    stats = CampaignStat.objects.for_workspace(workspace).filter(
        day__gte=period.start, day__lte=period.end
    )
    if by == "mailbox":  # enrollment counters belong to no mailbox
        stats = stats.exclude(step_id=0)
    counted = {row[key]: row for row in stats.values(key).annotate(**_sums())}
    machine = _machine(workspace, period, by)
    keys = set(counted) | set(machine)
    if by == "day":
        keys |= set(period.days)
    labels = _labels(workspace, by, keys)
    rows = []
    for k in keys:
        row = _row(counted.get(k), machine.get(k, {}))
        row["key"], row["label"] = k, labels.get(k, "")
        rows.append(row)
    if by == "day":
        rows.sort(key=lambda r: r["key"])
    else:
        rows.sort(key=lambda r: (-r["sent"], str(r["label"]).lower()))
    summed = (*METRICS, "machine_opened", "machine_clicked")
    total = {name: sum(r[name] for r in rows) for name in summed}
    total["bounced"] -= total["returned"]  # outcome() adds them again, once
    return {"rows": rows, "totals": outcome(total), "by": by, "period": period}


def _row(counts: dict | None, machine: dict) -> dict:
    row = {name: (counts or {}).get(name, 0) for name in METRICS}
    row["machine_opened"] = machine.get(Event.Kind.OPEN, 0)
    row["machine_clicked"] = machine.get(Event.Kind.CLICK, 0)
    return outcome(row)


def _machine(workspace, period: Period, by: str) -> dict:
    """Per key: how many messages a mail proxy, privacy protection or link scanner opened and
    clicked in the period — left out of the human counters, shown apart."""
    start, end = period.moments()
    events = Event.objects.for_workspace(workspace).filter(
        machine=True,
        kind__in=[Event.Kind.OPEN, Event.Kind.CLICK],
        created_at__gte=start,
        created_at__lt=end,
    )
    if by == "day":
        events = events.annotate(event_day=TruncDate("created_at", tzinfo=UTC))
    result: dict = {}
    for row in events.values(_EVENT_KEY[by], "kind").annotate(n=Count("message", distinct=True)):
        k = row[_EVENT_KEY[by]]
        if by == "mailbox" and k is None:
            k = 0
        result.setdefault(k, {})[row["kind"]] = row["n"]
    return result


def _labels(workspace, by: str, keys) -> dict:
    if by == "campaign":
        found = Campaign.objects.for_workspace(workspace).filter(pk__in=keys)
        return dict(found.values_list("pk", "name"))
    if by == "mailbox":
        found = Mailbox.objects.for_workspace(workspace).filter(pk__in=keys)
        labels = dict(found.values_list("pk", "email"))
        for k in keys:  # a removed mailbox keeps its numbers
            labels.setdefault(k, _("Removed mailbox"))
        return labels
    return {day: day for day in keys}


def csv_rows(report: dict):
    """The report's rows, then its totals, as CSV cells (rates in percent)."""
    for row in report["rows"]:
        yield [_csv_key(report["by"], row), *(row[name] for name in FIGURES)]
    yield [_("Total"), *(report["totals"][name] for name in FIGURES)]


def _csv_key(by: str, row: dict):
    if by == "day":
        return row["key"].isoformat()
    return row["label"]


def csv_header(by: str) -> list[str]:
    first = {"campaign": _("Campaign"), "mailbox": _("Mailbox"), "day": _("Day (UTC)")}[by]
    return [first, *(str(label) for label in FIGURES.values())]


def has_any(report: dict) -> bool:
    return any(report["totals"][name] for name in ("enrolled", "sent", "failed")) or bool(
        report["totals"]["machine_opened"]
    )
