"""Forms of the privacy pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ConfirmWithPasswordForm(forms.Form):
    """Closing asks for the password again and an explicit confirmation."""

    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand what happens"),
        error_messages={"required": _("Tick the box to confirm you understand what happens.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ForgetRecipientForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address to forget"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@company.com"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ObjectionForm(forms.Form):
    ai = forms.BooleanField(
        label=_("I object to AI processing: use only the built-in local classifier and filter"),
        required=False,
    )
    analytics = forms.BooleanField(
        label=_("I object to analytics: record no opens or clicks"), required=False
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RestrictionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (optional, kept in the audit log)"),
        max_length=500,
        required=False,
        widget=forms.TextInput,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RestoreForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Authenticator or backup code (if you use two-factor authentication)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
