"""The Reports page's filter: a date range and a grouping, read from the query string."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.reports.across import GROUPINGS, MAX_DAYS, Period


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Group"), choices=list(GROUPINGS.items()))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end date is before the start date."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", _("A report covers %(n)s days at most.") % {"n": MAX_DAYS})
        return data


def report_filter(query, today: datetime.date) -> tuple[ReportFilterForm, Period, str]:
    """The form bound to `query` (defaults filled in) and the period and grouping to show:
    those asked for when valid, else the last 30 days by campaign — the form shows why."""
    default = Period.last_days(today)
    data = {
        "start": query.get("start") or default.start.isoformat(),
        "end": query.get("end") or default.end.isoformat(),
        "by": query.get("by") or "campaign",
    }
    form = ReportFilterForm(data)
    if form.is_valid():
        period = Period(form.cleaned_data["start"], form.cleaned_data["end"])
        return form, period, form.cleaned_data["by"]
    by = form.cleaned_data.get("by") or "campaign"
    return form, default, by
