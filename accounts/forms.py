"""Forms of the accounts app."""

from __future__ import annotations

import zoneinfo

from allauth.account import forms as allauth_forms
from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, User, Workspace
from privacy.policies import current_version


class SignupForm(allauth_forms.SignupForm):
    """allauth's signup form plus a name and the 18+ and terms consent (stored with versions)."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    age_confirmed = forms.BooleanField(
        label=_("I am 18 years or older"),
        error_messages={"required": _("You must be 18 or older to use Postigo.")},
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the Terms of Service and the Privacy Policy"),
        error_messages={"required": _("Please accept the Terms and the Privacy Policy.")},
    )

    FIELD_ORDER = ["name", "email", "password1", "password2", "age_confirmed", "accept_terms"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.order_fields(self.FIELD_ORDER)
        self.fields["accept_terms"].help_text = format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a> · '
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("terms"),
            _("Read the Terms"),
            reverse("privacy_policy"),
            _("Read the Privacy Policy"),
        )

    def save(self, request) -> User:
        # allauth writes the user, then (custom_signup) the consent, then the address: one
        # transaction, so an account never exists without its recorded consent.
        with transaction.atomic():
            return super().save(request)

    def custom_signup(self, request, user: User) -> None:
        now = timezone.now()
        user.name = self.cleaned_data.get("name", "")
        user.age_confirmed_at = now
        user.terms_version = current_version("terms")
        user.privacy_version = current_version("privacy")
        user.terms_accepted_at = now
        user.save()


def timezone_choices() -> list[tuple[str, str]]:
    return [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices)

    class Meta:
        model = User
        fields = ["name", "timezone", "language", "theme"]


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(label=_("Theme"), choices=User.Theme.choices)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices, initial="member")


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class NotificationSettingsForm(forms.Form):
    """Per kind of notification: in the app, by email, both, or off; and the daily digest."""

    digest = forms.BooleanField(
        label=_("Send me a daily digest at 08:00 in my time zone"), required=False
    )

    def __init__(self, *args, initial_channels: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import NotificationKind, NotificationPreference

        for kind, label in NotificationKind.choices:
            self.fields[f"kind_{kind}"] = forms.ChoiceField(
                label=label,
                choices=NotificationPreference.Channel.choices,
                initial=initial_channels.get(kind),
                widget=forms.RadioSelect,
            )

    def kind_fields(self):
        return [self[name] for name in self.fields if name.startswith("kind_")]

    def channels(self) -> dict[str, str]:
        return {
            name.removeprefix("kind_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("kind_")
        }
