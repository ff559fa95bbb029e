"""Background jobs of the ai app (thin: one service call, safe to run twice)."""

from celery import shared_task

from ai import review


@shared_task(name="ai.tasks.purge_blocked_snapshots", ignore_result=True)
def purge_blocked_snapshots() -> int:
    """Blocked snapshots are kept 12 months for abuse investigation, then forgotten."""
    return review.snapshots_purge()
