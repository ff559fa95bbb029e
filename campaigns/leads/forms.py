"""Forms for leads, lists, imports and the suppression list."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.leads import csv_reader
from campaigns.models import STANDARD_FIELDS, Lead, LeadList

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
        label=_("List"),
        queryset=LeadList.objects.none(),
        required=False,
        empty_label=_("All lists"),
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
        fields = [*STANDARD_FIELDS, "status"]
        labels = {"status": _("Status")}

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
        if upload.size > csv_reader.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB; split it into smaller files.")
                % {"mb": csv_reader.MAX_BYTES // (1024 * 1024)}
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
        custom = guess if guess.startswith("custom:") else f"custom:{csv_reader.custom_key(name)}"
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
