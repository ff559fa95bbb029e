"""Mailbox background jobs (thin: ids in, one service call)."""

from celery import shared_task

from smtp_accounts import services
from smtp_accounts.models import Mailbox


@shared_task(ignore_result=True)
def check_mailbox_connection(mailbox_id: int) -> None:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is not None:  # removed meanwhile: nothing to test
        services.mailbox_test_connection(mailbox=mailbox)
