"""Postigo's allauth adapter: what allauth says on signing in waits for the second factor, and
failed sign-ins are counted per account *and* address (accounts/throttle.py), so a stranger's
guesses cannot lock the owner out as allauth's per-account count would."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.utils import translation

from accounts import throttle
from accounts.two_factor import user_has_two_factor

LOGGED_IN = "account/messages/logged_in.txt"
SCOPE = "login"


def _limits() -> dict[str, throttle.Limit]:
    per_account, per_address = settings.LOGIN_RATE_LIMITS
    return {
        "per_account": throttle.Limit(*per_account),
        "per_address": throttle.Limit(*per_address),
    }


def _who(request, credentials) -> dict[str, str]:
    from accounts.services import client_ip

    account = str(credentials.get("email") or credentials.get("username") or "")[:254]
    return {"account": account, "address": client_ip(request) or "unknown"}


def login_throttle_clear(*, email: str) -> None:
    """After a password reset: the owner's way back in, whoever guessed before."""
    throttle.clear_account(SCOPE, account=email)


class AccountAdapter(DefaultAccountAdapter):
    def add_message(self, request, level, message_template=None, message_context=None,
                    extra_tags="", message=None):  # fmt: skip
        """Leave out "Successfully signed in" while a second factor is still to be entered:
        the code page says so once the code is right (`signed_in_message`)."""
        user = (message_context or {}).get("user") or getattr(request, "user", None)
        if (
            message_template == LOGGED_IN
            and user is not None
            and user.is_authenticated
            and user_has_two_factor(user)
        ):
            return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def pre_authenticate(self, request, **credentials) -> None:
        """Refuse before checking the password while this account has failed too often from
        this address, or this address too often over all accounts (the right password
        waits too, or guessing could go on)."""
        if throttle.is_throttled(SCOPE, **_who(request, credentials), **_limits()):
            raise self.validation_error("too_many_login_attempts")

    def authentication_failed(self, request, **credentials) -> None:
        throttle.record_failure(SCOPE, **_who(request, credentials), **_limits())

    def save_user(self, request, user, form, commit=True):
        """A new account keeps the language its owner signed up in (cookie or browser)."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language in dict(settings.LANGUAGES):
            user.language = language
        return super().save_user(request, user, form, commit=commit)

    def signed_in_message(self, request, user) -> None:
        """allauth's own "Successfully signed in as …", for the moment signing in is done."""
        super().add_message(request, messages.SUCCESS, LOGGED_IN, {"user": user})

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mails (verification, password reset…) carry the product's name and
        address, like every platform email (templates/account/email/, emails/base.html), and go
        out in the recipient's language when they have an account, else in the language of the
        page that asked."""
        from accounts.emails import email_context

        user = context.get("user")
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, email_context(context))
