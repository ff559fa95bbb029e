"""Forms for leads, lists, imports and the suppression list."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from campaigns import lead_csv
from campaigns.models import WEEKDAYS, Campaign, Lead, LeadList, Step

TARGET_LABELS = {
    "": _("Skip this column"),
    "email": _("Email"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "company": _("Company"),
    "title": _("Job title"),
    "website": _("Website"),
    "phone": _("Phone"),
    "timezone": _("Time zone"),
    "tags": _("Tags"),
}


class LeadFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    tag = forms.CharField(required=False, label=_("Tag"))
    status = forms.ChoiceField(
        required=False, choices=[("", _("Any status")), *Lead.Status.choices], label=_("Status")
    )
    list = forms.ModelChoiceField(
        queryset=LeadList.objects.none(), required=False, empty_label=_("All lists")
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list"].queryset = LeadList.objects.for_workspace(workspace)


class LeadForm(forms.ModelForm):
    tags_text = forms.CharField(
        required=False, label=_("Tags"), help_text=_("Comma-separated, e.g. vip, berlin")
    )

    class Meta:
        model = Lead
        fields = [
            "email",
            "first_name",
            "last_name",
            "company",
            "title",
            "website",
            "phone",
            "timezone",
            "status",
        ]

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["tags_text"].initial = ", ".join(self.instance.tag_list)

    def clean_email(self):
        from campaigns.models import normalize_email

        email = self.cleaned_data["email"].strip()
        clash = (
            Lead.objects.for_workspace(self.workspace)
            .filter(email_normalized=normalize_email(email))
            .exclude(pk=self.instance.pk)
        )
        if clash.exists():
            raise forms.ValidationError(_("Another lead already has this address."))
        return email

    def clean_timezone(self):
        tz = self.cleaned_data["timezone"].strip()
        if tz:
            try:
                zoneinfo.ZoneInfo(tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise forms.ValidationError(_("Use a time zone name like Europe/Berlin.")) from exc
        return tz

    def save(self, commit=True):
        self.instance.workspace = self.workspace
        self.instance.tags = Lead.tags_value(self.cleaned_data["tags_text"].split(","))
        return super().save(commit)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    lead_list = forms.ModelChoiceField(
        queryset=LeadList.objects.none(),
        required=False,
        label=_("Add to list"),
        empty_label=_("A new list…"),
    )
    new_list = forms.CharField(
        required=False,
        max_length=120,
        label=_("New list name"),
        help_text=_("e.g. Q1 SaaS founders"),
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["lead_list"].queryset = LeadList.objects.for_workspace(workspace)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > lead_csv.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": lead_csv.MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("lead_list"):
            name = (data.get("new_list") or "").strip()
            if not name:
                self.add_error("new_list", _("Name the new list, or choose an existing one."))
            elif LeadList.objects.for_workspace(self.workspace).filter(name=name).exists():
                self.add_error("new_list", _("A list with this name exists; choose it above."))
        return data

    def lead_list_to_use(self) -> LeadList:
        return self.cleaned_data.get("lead_list") or LeadList.objects.create(
            workspace=self.workspace, name=self.cleaned_data["new_list"].strip()
        )


def mapping_choices(header: list[str], guessed: list[str]) -> list[list[tuple[str, str]]]:
    """The choices for each column: skip, the standard targets, and its own custom field."""
    per_column = []
    for name, guess in zip(header, guessed, strict=True):
        custom = guess if guess.startswith("custom:") else f"custom:{lead_csv.custom_key(name)}"
        label = _("Custom field “%(key)s”") % {"key": custom.removeprefix("custom:")}
        per_column.append([*TARGET_LABELS.items(), (custom, label)])
    return per_column


class SuppressionForm(forms.Form):
    entry = forms.CharField(
        label=_("Address or domain"),
        max_length=254,
        help_text=_("name@company.com, or company.com to block the whole domain"),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


# --- campaigns -----------------------------------------------------------------------------------


class CampaignNameForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=120)


class CampaignLeadsForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "lead_lists"]
        widgets = {"lead_lists": forms.CheckboxSelectMultiple}

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
        from campaigns.content import sanitize_html

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
