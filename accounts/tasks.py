"""Accounts background jobs (thin: ids in, one service call)."""

from celery import shared_task

from accounts import emails


@shared_task(ignore_result=True)
def send_invitation_email(invitation_id: int) -> None:
    emails.send_invitation(invitation_id=invitation_id)
