"""Audit receivers for authentication events raised by Django and allauth."""

from allauth.account.signals import (
    email_confirmed,
    password_changed,
    password_reset,
    user_signed_up,
)
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.models import AuditLog, User
from accounts.services import audit_log, default_workspace_name, workspace_create


@receiver(user_signed_up)
def on_signed_up(sender, request, user, **kwargs):
    workspace = workspace_create(owner=user, name=default_workspace_name(user))
    audit_log(action=AuditLog.Action.SIGNUP, request=request, user=user, workspace=workspace)


@receiver(email_confirmed)
def on_email_confirmed(sender, request, email_address, **kwargs):
    audit_log(
        action=AuditLog.Action.EMAIL_CONFIRMED,
        request=request,
        user=email_address.user,
        email=email_address.email,
    )


@receiver(user_logged_in)
def on_logged_in(sender, request, user, **kwargs):
    if request is not None:
        audit_log(action=AuditLog.Action.LOGIN, request=request, user=user, workspace=None)


@receiver(user_logged_out)
def on_logged_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
        audit_log(action=AuditLog.Action.LOGOUT, request=request, user=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # Django already replaced the password with asterisks in `credentials`.
    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    audit_log(
        action=AuditLog.Action.LOGIN_FAILED,
        request=request,
        user=user,
        workspace=None,
        email=email,
    )


@receiver(password_changed)
def on_password_changed(sender, request, user, **kwargs):
    audit_log(action=AuditLog.Action.PASSWORD_CHANGED, request=request, user=user)


@receiver(password_reset)
def on_password_reset(sender, request, user, **kwargs):
    audit_log(action=AuditLog.Action.PASSWORD_RESET, request=request, user=user)
    # The real owner's way back in: strangers' failed admin sign-ins no longer count.
    from accounts.admin_login import admin_throttle_clear

    admin_throttle_clear(email=user.email)
