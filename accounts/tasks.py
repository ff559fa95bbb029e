"""Accounts background jobs (thin: ids in, one service call)."""

from celery import shared_task

from accounts import emails, security_alerts, services


@shared_task(ignore_result=True)
def send_invitation_email(invitation_id: int) -> None:
    emails.send_invitation(invitation_id=invitation_id)


@shared_task(ignore_result=True)
def send_security_alert(
    user_id: int, event: str, ip: str = "", user_agent: str = "", extra_to: str = ""
) -> None:
    security_alerts.security_alert_send(
        user_id=user_id, event=event, ip=ip, user_agent=user_agent, extra_to=extra_to
    )


@shared_task(ignore_result=True)
def purge_expired_sessions() -> int:
    return services.sessions_purge_expired()
