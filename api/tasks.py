"""Webhook delivery jobs (thin: one service call, safe to run twice)."""

from celery import shared_task

from api import webhooks


@shared_task(ignore_result=True)
def deliver_webhooks() -> int:
    return webhooks.deliver_due()
