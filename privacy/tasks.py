"""Privacy background jobs (thin: ids in, one service call)."""

from celery import shared_task

from privacy import exports, notices, purge, retention


@shared_task(ignore_result=True)
def purge_expired() -> None:
    """Daily (beat): one task per retention rule, so one slow rule never holds up the others."""
    for rule in retention.rules():
        purge_rule.delay(rule.key)


@shared_task(ignore_result=True)
def purge_rule(key: str) -> None:
    purge.purge_rule(key=key)


@shared_task(ignore_result=True)
def build_export(export_id: int) -> None:
    exports.export_build(export_id=export_id)


@shared_task(ignore_result=True)
def notify_policy_version(version_id: int) -> None:
    notices.policy_notify(version_id=version_id)
