"""Accounts background jobs (thin: ids in, one service call)."""

from celery import shared_task

from accounts import digest, emails, notifications, security_alerts, services


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


@shared_task(ignore_result=True)
def send_notification_emails(notification_ids: list[int]) -> None:
    notifications.notification_emails_send(notification_ids=notification_ids)


@shared_task(ignore_result=True)
def send_digests() -> int:
    """Hourly: queue the digest of everyone whose local morning it is."""
    for user_id, day in digest.digests_due():
        send_digest.delay(user_id, day.isoformat())
    return 0


@shared_task(ignore_result=True)
def send_digest(user_id: int, day: str) -> None:
    digest.digest_send(user_id=user_id, day=day)
