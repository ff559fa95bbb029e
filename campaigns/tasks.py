"""Campaign background jobs (thin: ids in, one service call, safe to run twice)."""

from celery import shared_task

from campaigns import lifecycle
from campaigns.inbox import services as inbox_services
from campaigns.inbox import sync as inbox_sync
from campaigns.leads import imports
from campaigns.sending import delivery, dispatch
from campaigns.tracking import flush


@shared_task(name="campaigns.tasks.run_suppression_import", ignore_result=True)
def run_suppression_import(suppression_import_id: int) -> None:
    from campaigns.leads.suppression_imports import suppression_import_run

    suppression_import_run(suppression_import_id)


@shared_task(name="campaigns.tasks.run_lead_import", ignore_result=True)
def run_lead_import(lead_import_id: int) -> None:
    imports.lead_import_run(lead_import_id=lead_import_id)


@shared_task(name="campaigns.tasks.dispatch_due", ignore_result=True)
def dispatch_due() -> int | None:
    return dispatch.dispatch_tick_once()


@shared_task(name="campaigns.tasks.claim_mailboxes", ignore_result=True)
def claim_mailboxes(mailbox_ids: list[int]) -> int:
    return dispatch.mailboxes_claim_and_send(mailbox_ids=mailbox_ids)


@shared_task(name="campaigns.tasks.send_mailbox_batch", ignore_result=True)
def send_mailbox_batch(mailbox_id: int, message_ids: list[int]) -> None:
    delivery.messages_send(mailbox_id=mailbox_id, message_ids=message_ids)


@shared_task(name="campaigns.tasks.recover_interrupted_sends", ignore_result=True)
def recover_interrupted_sends() -> int:
    return lifecycle.messages_recover_interrupted()


@shared_task(name="campaigns.tasks.flush_tracking", ignore_result=True)
def flush_tracking() -> int:
    return flush.tracking_flush()


@shared_task(name="campaigns.tasks.sync_inboxes", ignore_result=True)
def sync_inboxes() -> None:
    for mailbox_ids in inbox_sync.inbox_sync_tick():
        queue = inbox_sync.inbox_queue(mailbox_ids[0])  # a batch is of one shard
        sync_inbox_batch.apply_async((mailbox_ids,), queue=queue)


@shared_task(name="campaigns.tasks.sync_inbox_batch", ignore_result=True)
def sync_inbox_batch(mailbox_ids: list[int]) -> None:
    inbox_sync.mailboxes_inbox_sync(mailbox_ids=mailbox_ids)


@shared_task(name="campaigns.tasks.sync_inbox", ignore_result=True)
def sync_inbox(mailbox_id: int) -> None:
    inbox_sync.mailboxes_inbox_sync(mailbox_ids=[mailbox_id])


@shared_task(name="campaigns.tasks.refine_reply_label", ignore_result=True)
def refine_reply_label(reply_id: int) -> None:
    inbox_services.reply_refine_label(reply_id=reply_id)


@shared_task(name="campaigns.tasks.notify_finished_campaigns", ignore_result=True)
def notify_finished_campaigns() -> int:
    from campaigns.notices import campaigns_notify_finished

    return campaigns_notify_finished()
