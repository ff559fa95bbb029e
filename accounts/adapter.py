"""Postigo's allauth adapter: what allauth says on signing in waits for the second factor."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib import messages

from accounts.two_factor import user_has_two_factor

LOGGED_IN = "account/messages/logged_in.txt"


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

    def signed_in_message(self, request, user) -> None:
        """allauth's own "Successfully signed in as …", for the moment signing in is done."""
        super().add_message(request, messages.SUCCESS, LOGGED_IN, {"user": user})

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's mails (verification, password reset…) carry the product's name and
        address, like every platform email (templates/account/email/, emails/base.html)."""
        from accounts.emails import email_context

        super().send_mail(template_prefix, email, email_context(context))
