"""Forms of the campaign builder: name, leads, schedule, mailboxes, steps and A/B variants."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from campaigns.models import WEEKDAYS, Campaign, LeadList, Step


class CampaignNameForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=120)
    start_from = forms.ChoiceField(label=_("Start from"), required=False)

    def __init__(self, *args, workspace=None, **kwargs):
        super().__init__(*args, **kwargs)
        from campaigns.authoring.starters import STARTERS
        from campaigns.models import SequenceTemplate

        own = [
            (f"template:{t.pk}", t.name)
            for t in SequenceTemplate.objects.for_workspace(workspace).only("pk", "name")
        ] if workspace is not None else []  # fmt: skip
        starters = [(f"starter:{slug}", s["name"]) for slug, s in STARTERS.items()]
        self.fields["start_from"].choices = [
            ("", _("Blank")),
            *([(_("Your templates"), own)] if own else []),
            (_("Starter templates"), starters),
        ]


class CampaignLeadsForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "lead_lists"]
        widgets = {"lead_lists": forms.CheckboxSelectMultiple}
        labels = {"lead_lists": _("Lead lists")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_lists"].queryset = LeadList.objects.for_workspace(
            self.instance.workspace
        ).annotate(size=Count("leads"))
        self.fields["lead_lists"].label_from_instance = lambda ll: f"{ll.name} ({ll.size})"


class CampaignScheduleForm(forms.ModelForm):
    send_days = forms.MultipleChoiceField(
        label=_("Sending days"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Campaign
        fields = [
            "timezone",
            "lead_time_zones",
            "send_days",
            "window_start",
            "window_end",
            "start_date",
            "daily_cap",
            "track_opens",
            "track_clicks",
            "stop_on_reply",
            "stop_company_on_reply",
            "auto_reply_is_reply",
            "allow_overlap",
            "bounce_limit",
            "unsubscribe_footer",
        ]
        widgets = {
            "window_start": forms.TimeInput(attrs={"type": "time"}),
            "window_end": forms.TimeInput(attrs={"type": "time"}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "unsubscribe_footer": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["send_days"] = list(self.instance.send_days)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.label_suffix = ""  # beside its box a label is a statement, not a heading

    def clean_send_days(self):
        return "".join(sorted(set(self.cleaned_data["send_days"])))

    def clean_timezone(self):
        tz = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(_("Use a time zone name like Europe/Berlin.")) from exc
        return tz

    def clean_unsubscribe_footer(self):
        from campaigns.authoring.content import sanitize_html

        return sanitize_html(self.cleaned_data["unsubscribe_footer"])

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start >= end:
            self.add_error("window_end", _("The window must end after it starts."))
        return data


class CampaignMailboxesForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["mailboxes"]
        widgets = {"mailboxes": forms.CheckboxSelectMultiple}
        labels = {"mailboxes": _("Mailboxes")}

    def __init__(self, *args, **kwargs):
        from smtp_accounts.models import Mailbox

        super().__init__(*args, **kwargs)
        self.fields["mailboxes"].queryset = Mailbox.objects.for_workspace(self.instance.workspace)
        self.fields["mailboxes"].label_from_instance = lambda m: (
            f"{m.email} — {m.get_status_display()}"
        )


class StepForm(forms.ModelForm):
    class Meta:
        model = Step
        fields = ["delay_days", "delay_hours", "in_thread"]


class VariantForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=500, required=False)
    body_html = forms.CharField(label=_("Body"), required=False, widget=forms.Textarea)
    weight = forms.IntegerField(label=_("Weight"), min_value=0, max_value=100, initial=1)
