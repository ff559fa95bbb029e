"""Forms of the ai app: Settings → AI and custom reply labels."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ai.labels import ReplyLabel
from ai.models import AISettings, CustomLabel
from ai.providers.openai import MODELS as OPENAI_MODELS


class AISettingsForm(forms.ModelForm):
    # Write-only: never rendered back; left blank, the stored key stays.
    openai_key = forms.CharField(
        label=_("OpenAI API key"),
        required=False,
        strip=True,
        max_length=300,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Stored encrypted and checked with one call when you save. Leave blank to "
            "keep the key already saved."
        ),  # fmt: skip
    )
    openai_model = forms.ChoiceField(
        label=_("OpenAI model"), choices=[(m, m) for m in OPENAI_MODELS]
    )

    class Meta:
        model = AISettings
        fields = ["provider", "openai_model", "monthly_call_budget", "per_minute_limit"]
        widgets = {"provider": forms.RadioSelect}
        labels = {"provider": _("Provider")}

    def __init__(self, *args, has_key: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.has_key = has_key
        self.fields["monthly_call_budget"].help_text = _(
            "Remote calls per calendar month; past it, the offline rules answer."
        )
        self.fields["per_minute_limit"].min_value = 1
        self.fields["monthly_call_budget"].widget.attrs["min"] = 0
        self.fields["per_minute_limit"].widget.attrs["min"] = 1

    def clean_openai_key(self):
        key = self.cleaned_data["openai_key"]
        if key and (not key.isascii() or " " in key or len(key) < 20):
            raise forms.ValidationError(_("That does not look like an OpenAI API key."))
        return key

    def clean(self):
        data = super().clean()
        if (
            data.get("provider") == AISettings.Provider.OPENAI
            and not data.get("openai_key")
            and not self.has_key
        ):
            self.add_error("openai_key", _("Enter your OpenAI API key to use your own key."))
        if data.get("per_minute_limit") == 0:
            self.add_error("per_minute_limit", _("Allow at least one call per minute."))
        return data


class CustomLabelForm(forms.ModelForm):
    class Meta:
        model = CustomLabel
        fields = ["name", "description"]
        labels = {"name": _("Label"), "description": _("What it means (the AI reads this)")}

    def __init__(self, *args, workspace=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["name"].help_text = _("Lower case, digits and dashes, e.g. referral.")

    def clean_name(self):
        name = self.cleaned_data["name"].lower()
        if name in ReplyLabel.values:
            raise forms.ValidationError(_("That label is built in already."))
        if CustomLabel.objects.filter(workspace=self.workspace, name=name).exists():
            raise forms.ValidationError(_("This workspace has that label already."))
        return name
