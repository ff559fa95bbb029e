"""Campaign background jobs (thin: ids in, one service call, safe to run twice)."""

from celery import shared_task

from campaigns import delivery, dispatch, engagement, inbound, lead_import


@shared_task(ignore_result=True)
def run_lead_import(lead_import_id: int) -> None:
    lead_import.lead_import_run(lead_import_id)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    return dispatch.dispatch_tick()


@shared_task(ignore_result=True)
def send_mailbox_batch(mailbox_id: int, message_ids: list[int]) -> None:
    delivery.send_batch(mailbox_id=mailbox_id, message_ids=message_ids)


@shared_task(ignore_result=True)
def recover_interrupted_sends() -> int:
    return delivery.recover_interrupted()


@shared_task(ignore_result=True)
def flush_tracking() -> int:
    return engagement.tracking_flush()


@shared_task(ignore_result=True)
def sync_inboxes() -> None:
    for mailbox_id in inbound.mailboxes_to_sync():
        sync_inbox.delay(mailbox_id)


@shared_task(ignore_result=True)
def sync_inbox(mailbox_id: int) -> None:
    inbound.mailbox_inbox_sync(mailbox_id)
