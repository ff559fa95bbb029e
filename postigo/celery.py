"""The Celery app: queues, routing and the beat schedule, all defined here in code."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")

# As settings.INBOX_SYNC_TICK_SECONDS (read here before Django is set up).
INBOX_SYNC_TICK = int(os.environ.get("INBOX_SYNC_TICK_SECONDS") or 15)

app = Celery("postigo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("claim"), Queue("send"), Queue("inbox")),
    # Claiming, sending and mailbox syncing get their own queues so a slow IMAP server or a
    # large batch never delays the quick housekeeping jobs.
    task_routes={
        # The dispatcher's claims, one task per shard of mailboxes, spread over every worker.
        "campaigns.tasks.claim_mailboxes": {"queue": "claim"},
        "campaigns.tasks.send_*": {"queue": "send"},
        "campaigns.tasks.sync_inbox": {"queue": "inbox"},
        "campaigns.tasks.sync_inbox_batch": {"queue": "inbox"},
    },
    # A task is acknowledged only after it ran; one task at a time per worker process.
    # Redelivery after a crash is safe because every task is idempotent (DESIGN §5.8).
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_serializer="json",
    accept_content=["json"],
    timezone="UTC",
    enable_utc=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={
        # Every retention rule (privacy/retention.py), expired invitations among them.
        "purge-expired-data": {
            "task": "privacy.tasks.purge_expired",
            "schedule": crontab(minute=17, hour=3),
        },
        "purge-expired-sessions": {
            "task": "accounts.tasks.purge_expired_sessions",
            "schedule": crontab(minute=23, hour=3),
        },
        "deliver-webhooks": {  # retries come due here; new events also kick a run
            "task": "api.tasks.deliver_webhooks",
            "schedule": 10.0,
        },
        "dispatch-due-messages": {
            "task": "campaigns.tasks.dispatch_due",
            "schedule": 15.0,
            # A tick not started before the next is due is dropped, not piled up behind it
            # (and campaigns/sending/dispatch.py runs one tick at a time).
            "options": {"expires": 14.0},
        },
        "flush-tracking-hits": {
            "task": "campaigns.tasks.flush_tracking",
            "schedule": 5.0,
        },
        "read-replies-and-bounces": {
            # Each tick queues its slice of the mailboxes, so each is read once per
            # INBOX_SYNC_CYCLE_SECONDS (smtp_accounts/imap_cycle.py); a late tick is dropped.
            "task": "campaigns.tasks.sync_inboxes",
            "schedule": float(INBOX_SYNC_TICK),
            "options": {"expires": INBOX_SYNC_TICK - 1.0},
        },
        "recover-interrupted-sends": {
            "task": "campaigns.tasks.recover_interrupted_sends",
            "schedule": 300.0,
        },
        # Each person's optional digest, at 08:00 in their time zone (accounts/digest.py).
        "send-notification-digests": {
            "task": "accounts.tasks.send_digests",
            "schedule": crontab(minute=2),
        },
        "notify-finished-campaigns": {
            "task": "campaigns.tasks.notify_finished_campaigns",
            "schedule": 300.0,
        },
        "recheck-sending-domains": {
            "task": "smtp_accounts.tasks.request_all_domain_checks",
            "schedule": crontab(minute=41, hour=5),
        },
    },
)
app.autodiscover_tasks()
