"""Mailbox background jobs (thin: ids in, one service call)."""

from celery import shared_task

from smtp_accounts import services
from smtp_accounts.domains import health as domain_health
from smtp_accounts.models import DomainCheck, Mailbox


@shared_task(ignore_result=True)
def check_mailbox_connection(mailbox_id: int) -> None:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is not None:  # removed meanwhile: nothing to test
        services.mailbox_test_connection(mailbox=mailbox)


@shared_task(ignore_result=True)
def run_domain_check(domain_check_id: int) -> None:
    check = DomainCheck.objects.filter(pk=domain_check_id).select_related("workspace").first()
    if check is not None:
        domain_health.domain_check_run(domain_check=check)


@shared_task(ignore_result=True)
def request_all_domain_checks() -> int:
    return domain_health.domain_checks_request_all()
