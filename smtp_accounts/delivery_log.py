"""The delivery log users read: every SMTP attempt of a mailbox (or of a campaign's messages)
with its time, recipient, result and the server's own reply — what an SMTP provider shows its
customers — filtered by result and dates, searched by recipient, newest first.

Pages are keyset-paginated on (created_at, id), so the thousandth page costs what the first
does, and only attempts within the retention period of the privacy registry are shown (older
ones are on their way to the purge): the page says how long that is, from the registry.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from privacy import retention
from smtp_accounts.models import SendLog
from smtp_accounts.replies import Outcome

PAGE = 50
UTC = datetime.UTC

RESULTS = {
    Outcome.SENT.value: _("Accepted"),
    Outcome.TEMPORARY.value: _("Deferred (will retry)"),
    Outcome.HARD_BOUNCE.value: _("Bounced"),
    Outcome.REJECTED.value: _("Rejected"),
    Outcome.MAILBOX.value: _("Mailbox problem"),
}


def retention_rule() -> retention.Rule:
    return retention.rule("send_logs")


class DeliveryLogFilter(forms.Form):
    q = forms.CharField(
        label=_("Recipient"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Search recipient")}),
    )
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", _("Every result")), *RESULTS.items()]
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return data


@dataclass
class LogPage:
    rows: list
    next_cursor: str  # "" on the last page
    retention: str  # "12 months"
    oldest: datetime.datetime  # attempts before this are not shown (retention)


def filtered(logs: QuerySet, form: DeliveryLogFilter, *, now=None) -> QuerySet:
    """`logs` narrowed to the retention period and the form's filters (the valid ones)."""
    logs = logs.filter(created_at__gte=retention_rule().cutoff(now))
    data = form.cleaned_data if form.is_valid() else {}
    if q := (data.get("q") or "").strip():
        logs = logs.filter(recipient__icontains=q)
    if result := data.get("result"):
        logs = logs.filter(outcome=result)
    if start := data.get("start"):
        logs = logs.filter(created_at__gte=_midnight(start))
    if end := data.get("end"):
        logs = logs.filter(created_at__lt=_midnight(end + datetime.timedelta(days=1)))
    return logs


def _midnight(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def cursor_of(log: SendLog) -> str:
    return f"{log.created_at.astimezone(UTC).isoformat()}_{log.pk}"


def parse_cursor(value: str | None) -> tuple[datetime.datetime, int] | None:
    """A cursor as `cursor_of` writes it, or None for anything else (the first page)."""
    moment, _sep, pk = (value or "").rpartition("_")
    if not pk.isascii() or not pk.isdigit() or len(pk) > 18:
        return None
    try:
        at = parse_datetime(moment)
    except ValueError:
        return None
    if at is None or at.tzinfo is None:
        return None
    return at, int(pk)


def log_page(logs: QuerySet, form: DeliveryLogFilter, *, after: str | None = None) -> LogPage:
    """One page of `logs` (filtered), newest first, starting after the cursor `after`."""
    rule = retention_rule()
    logs = filtered(logs, form).order_by("-created_at", "-pk")
    if cursor := parse_cursor(after):
        at, pk = cursor
        logs = logs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(logs.select_related("mailbox")[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    for row in rows:
        row.result_label = RESULTS.get(row.outcome, row.outcome)
    return LogPage(
        rows=rows,
        next_cursor=cursor_of(rows[-1]) if more else "",
        retention=str(rule.period),
        oldest=rule.cutoff(),
    )
