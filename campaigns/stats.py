"""Keeping the campaign counters (`CampaignStat`) true.

Whatever changes a counted thing — a message sent, failed, opened for the first time; an
enrollment created, completed, stopped — adds to a `Tally` and saves it inside the same
transaction, so a counter never disagrees with the rows it counts (a crash rolls back both).
`Tally.save` is one `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n` for all its rows,
in key order so concurrent writers lock rows in the same order. `stats_rebuild` recounts from
the rows themselves: the migration that introduced the counters uses it, and the tests compare
the live counters with it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models.stats import METRICS, CampaignStat

KEY = ("campaign_id", "day", "step_id", "variant_id", "mailbox_id")


def today() -> datetime.date:
    return timezone.now().astimezone(datetime.UTC).date()


def day_of(moment: datetime.datetime | None) -> datetime.date:
    return moment.astimezone(datetime.UTC).date() if moment else today()


class Tally:
    """Counter increments gathered in memory, written with one statement."""

    def __init__(self) -> None:
        self._rows: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(METRICS, 0))

    def add(
        self,
        campaign_id: int,
        metric: str,
        n: int = 1,
        *,
        day: datetime.date | None = None,
        step_id: int | None = 0,
        variant_id: int | None = 0,
        mailbox_id: int | None = 0,
    ) -> None:
        if n:
            key = (campaign_id, day or today(), step_id or 0, variant_id or 0, mailbox_id or 0)
            self._rows[key][metric] += n

    def message(
        self,
        campaign_id: int,
        message,
        metric: str,
        n: int = 1,
        *,
        at: datetime.datetime | None = None,
    ) -> None:
        """A message counted under its step, variant and mailbox, on the day of `at`."""
        self.add(
            campaign_id,
            metric,
            n,
            day=day_of(at),
            step_id=message.step_id,
            variant_id=message.variant_id,
            mailbox_id=message.mailbox_id,
        )

    def save(self) -> None:
        if not self._rows:
            return
        rows, self._rows = self._rows, defaultdict(lambda: dict.fromkeys(METRICS, 0))
        quote = connection.ops.quote_name
        table = quote(CampaignStat._meta.db_table)
        columns = [*KEY, *METRICS]
        updates = ", ".join(
            f"{quote(m)} = {table}.{quote(m)} + excluded.{quote(m)}" for m in METRICS
        )
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(quote(c) for c in KEY)}) DO UPDATE SET {updates}"
        )
        values = [(*key, *(counts[m] for m in METRICS)) for key, counts in sorted(rows.items())]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, values)


def bump(campaign_id: int, metric: str, n: int = 1, **key) -> None:
    tally = Tally()
    tally.add(campaign_id, metric, n, **key)
    tally.save()


# --- recounting from the rows -----------------------------------------------------------------


def stats_rebuild(campaign_ids, *, apps=installed_apps) -> None:
    """Replace the counters of these campaigns by a count of their rows.

    `apps` is the app registry to take the models from (a migration passes its own). Days for
    enrollment counters are the enrollment's creation day; failures and interruptions count on
    the day the message was last tried.
    """
    campaign_stat = apps.get_model("campaigns", "CampaignStat")
    enrollment = apps.get_model("campaigns", "Enrollment")
    message = apps.get_model("campaigns", "OutboundMessage")
    event = apps.get_model("campaigns", "Event")
    campaign_ids = list(campaign_ids)
    tally = Tally()
    enrollments = (
        enrollment.objects.filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "created_at__date", "status")
        .annotate(n=Count("pk"))
    )
    for campaign_id, day, status, n in enrollments:
        tally.add(campaign_id, "enrolled", n, day=day)
        if status in ("completed", "stopped"):
            tally.add(campaign_id, status, n, day=day)

    messages = message.objects.filter(enrollment__campaign_id__in=campaign_ids)
    key = ("enrollment__campaign_id", "step_id", "variant_id", "mailbox_id")
    counted = {
        "sent": (Q(state="sent"), "sent_at"),
        "failed": (Q(state="failed"), "sending_at"),
        "bounced": (Q(state="failed", enrollment__stop_reason="bounced"), "sending_at"),
        "unknown": (Q(state="unknown"), "sending_at"),
        "opened": (Q(opened_at__isnull=False), "opened_at"),
        "clicked": (Q(clicked_at__isnull=False), "clicked_at"),
        "replied": (Q(replied_at__isnull=False), "replied_at"),
    }
    for metric, (condition, moment) in counted.items():
        rows = (
            messages.filter(condition).values_list(*key, f"{moment}__date").annotate(n=Count("pk"))
        )
        _add_rows(tally, metric, rows)
    # One unsubscribe event, and one bounce event after delivery, per message at most.
    for metric, condition in (
        ("unsubscribed", Q(kind="unsubscribe")),
        ("returned", Q(kind="bounce", message__state="sent")),
    ):
        rows = (
            event.objects.filter(condition, message__enrollment__campaign_id__in=campaign_ids)
            .values_list(*(f"message__{k}" for k in key), "created_at__date")
            .annotate(n=Count("message", distinct=True))
        )
        _add_rows(tally, metric, rows)
    with transaction.atomic():
        campaign_stat.objects.filter(campaign_id__in=campaign_ids).delete()
        tally.save()


def _add_rows(tally: Tally, metric: str, rows) -> None:
    """Rows of (campaign, step, variant, mailbox, day, n) counted under `metric`."""
    for campaign_id, step_id, variant_id, mailbox_id, day, n in rows:
        tally.add(
            campaign_id, metric, n, day=day, step_id=step_id, variant_id=variant_id,
            mailbox_id=mailbox_id,
        )  # fmt: skip
