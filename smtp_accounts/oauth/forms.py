"""The settings of a mailbox connected with OAuth: its servers and sign-in are the provider's,
so only the sender's name, limits, warm-up, time zone and signature are edited here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import timezone_choices
from smtp_accounts.forms import SENDING_FIELDS, SIGNATURE_WIDGETS
from smtp_accounts.models import Mailbox


class OAuthMailboxForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, initial="UTC")

    class Meta:
        model = Mailbox
        fields = ["from_name", *SENDING_FIELDS]
        widgets = SIGNATURE_WIDGETS

    def __init__(self, *args, workspace, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean(self):
        data = super().clean()
        if (
            data.get("hourly_cap")
            and data.get("daily_cap")
            and data["hourly_cap"] > data["daily_cap"]
        ):
            self.add_error("hourly_cap", _("The hourly limit cannot be above the daily limit."))
        return data
