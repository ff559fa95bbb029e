"""Security emails: a sign-in from a new device or address, and changes to the password, the
email address or two-factor authentication. They go to the account's address (for an email
change, to the old one too), say what happened, when and from where, and what to do if it was
not the user."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.emails import email_context
from accounts.models import AuditLog, User

TITLES = {
    "new_sign_in": gettext_lazy("New sign-in to your Postigo account"),
    AuditLog.Action.PASSWORD_CHANGED: gettext_lazy("Your Postigo password was changed"),
    AuditLog.Action.PASSWORD_RESET: gettext_lazy("Your Postigo password was reset"),
    AuditLog.Action.TWO_FACTOR_ENABLED: gettext_lazy("Two-factor authentication was turned on"),
    AuditLog.Action.TWO_FACTOR_DISABLED: gettext_lazy("Two-factor authentication was turned off"),
    AuditLog.Action.BACKUP_CODES_REGENERATED: gettext_lazy("New backup codes were made"),
    "email_changed": gettext_lazy("The email address of your Postigo account changed"),
}


def is_new_device(*, user: User, ip: str | None, user_agent: str) -> bool:
    """A sign-in from an address and browser this account never signed in from before (the
    first sign-in of a new account is not news). Call after the sign-in itself was logged."""
    logins = AuditLog.objects.filter(user=user, action=AuditLog.Action.LOGIN)
    if logins.count() <= 1:
        return False
    return logins.filter(ip_address=ip, user_agent=user_agent[:300]).count() <= 1


def security_alert_send(
    *, user_id: int, event: str, ip: str = "", user_agent: str = "", extra_to: str = ""
) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or event not in TITLES:
        return False
    with translation.override(user.language or settings.LANGUAGE_CODE):
        return _security_alert_mail(user, event, ip, user_agent, extra_to)


def _security_alert_mail(user, event: str, ip: str, user_agent: str, extra_to: str) -> bool:
    context = {
        "user": user,
        "title": TITLES[event],
        "event": event,
        "when": timezone.now(),
        "ip": ip or _("unknown"),
        "user_agent": user_agent or _("unknown"),
        "security_url": settings.PUBLIC_BASE_URL + reverse("settings_security"),
        "reset_url": settings.PUBLIC_BASE_URL + reverse("account_reset_password"),
    }
    recipients = [user.email] + ([extra_to] if extra_to and extra_to != user.email else [])
    context = email_context(context)
    message = EmailMultiAlternatives(
        subject=f"[{settings.PRODUCT_NAME}] " + str(TITLES[event]),
        body=render_to_string("emails/security_alert.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach_alternative(render_to_string("emails/security_alert.html", context), "text/html")
    message.send()
    return True
