"""Audit receivers for authentication events raised by Django and allauth."""

from allauth.account.signals import (
    email_changed,
    email_confirmed,
    password_changed,
    password_reset,
    user_signed_up,
)
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.models import AuditLog, User
from accounts.services import audit_log, client_ip, default_workspace_name, workspace_create


def security_alert(user, event: str, request=None, *, extra_to: str = "") -> None:
    """Email the account about a security event, once the transaction commits."""
    from accounts.tasks import send_security_alert

    ip = (client_ip(request) or "") if request is not None else ""
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    send_security_alert.delay_on_commit(user.pk, str(event), ip, agent, extra_to)


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
        from accounts.security_alerts import is_new_device

        agent = request.META.get("HTTP_USER_AGENT", "")
        if is_new_device(user=user, ip=client_ip(request), user_agent=agent):
            security_alert(user, "new_sign_in", request)


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
    security_alert(user, AuditLog.Action.PASSWORD_CHANGED, request)


@receiver(password_reset)
def on_password_reset(sender, request, user, **kwargs):
    audit_log(action=AuditLog.Action.PASSWORD_RESET, request=request, user=user)
    security_alert(user, AuditLog.Action.PASSWORD_RESET, request)
    # The real owner's way back in: strangers' failed sign-ins (app and admin) no longer count.
    from accounts.adapter import login_throttle_clear
    from accounts.admin_login import admin_throttle_clear

    admin_throttle_clear(email=user.email)
    login_throttle_clear(email=user.email)


@receiver(email_changed)
def on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    # The old address hears of it too: it may be the owner's only way to notice a takeover.
    old = from_email_address.email if from_email_address is not None else ""
    security_alert(user, "email_changed", request, extra_to=old)
