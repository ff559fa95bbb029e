"""The operators' admin sign-in: email, password and second factor in one step, throttled.

Django's admin (and django-otp's admin form) asks for the one-time code only once the
password is right, which tells a staff account's right password from a wrong one. Here the
code is asked for on the same page, and every failure — unknown account, wrong password, not
staff, no authenticator, wrong code — gets the same answer. Failures are counted per account
*and* address (accounts/throttle.py): strangers elsewhere cannot lock the operator out, and a
password reset (the public "Forgot your password?" path) clears the account's counts.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from accounts import throttle
from accounts.services import client_ip
from accounts.two_factor import device_for_code

SCOPE = "admin-login"


def _limits() -> tuple[throttle.Limit, throttle.Limit]:
    per_account, per_address = settings.ADMIN_LOGIN_RATE_LIMITS
    return throttle.Limit(*per_account), throttle.Limit(*per_address)


class _OneTimeCodeInput(forms.TextInput):
    """A code is never shown back: it was used (or wrong) once the form is answered."""

    def format_value(self, value):
        return None


class AdminSignInForm(forms.Form):
    username = forms.CharField(label=_("Email"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    otp_token = forms.CharField(
        label=_("Authenticator or backup code"),
        max_length=32,
        widget=_OneTimeCodeInput(attrs={"autocomplete": "one-time-code"}),
    )

    error_messages = {
        "invalid": _(
            "The email, password or code is not right. (The admin is for operators with "
            "two-factor authentication.)"
        ),
        "throttled": _(
            "Too many failed sign-ins from this address. Wait 15 minutes, or reset your "
            "password to sign in at once."
        ),
    }

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        email = data.get("username", "")
        address = client_ip(self.request) or "unknown"
        per_account, per_address = _limits()
        limits = {"per_account": per_account, "per_address": per_address}
        if throttle.is_throttled(SCOPE, account=email, address=address, **limits):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        user = None
        if email and data.get("password"):
            user = authenticate(self.request, username=email, password=data["password"])
        device = None
        # The code is only tried once the password is right: a stranger's wrong codes must
        # not use up the operator's device throttling.
        if user is not None and user.is_active and user.is_staff and data.get("otp_token"):
            device = device_for_code(user, data["otp_token"])
        if device is None:
            throttle.record_failure(SCOPE, account=email, address=address, **limits)
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        user.otp_device = device  # django-otp marks the session verified on login
        self.user_cache = user
        return data

    def get_user(self):
        return self.user_cache

    def get_invalid_login_error(self):  # (AuthenticationForm's interface, used by LoginView)
        return forms.ValidationError(self.error_messages["invalid"], code="invalid")


def admin_throttle_clear(*, email: str) -> None:
    throttle.clear_account(SCOPE, account=email)
