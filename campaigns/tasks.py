"""Campaign background jobs (thin: ids in, one service call)."""

from celery import shared_task

from campaigns import lead_import


@shared_task(ignore_result=True)
def run_lead_import(lead_import_id: int) -> None:
    lead_import.lead_import_run(lead_import_id)
