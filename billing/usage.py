"""What the balance was spent on, per day: emails and AI calls, with their cost (one query)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing.models import LedgerEntry

DAYS = 14
WIDTH, HEIGHT = 700, 140


def usage_chart(workspace, *, days: int = DAYS, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=days - 1)
    rows = (
        LedgerEntry.objects.for_workspace(workspace)
        .filter(kind=LedgerEntry.Kind.CHARGE, created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            emails=Sum("quantity", filter=Q(purpose="email")),
            ai=Count("pk", filter=Q(purpose__startswith="ai")),
            cost=Sum("amount"),
        )
    )
    by_day = {row["day"]: row for row in rows}
    series = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        row = by_day.get(day, {})
        series.append(
            {
                "day": day,
                "emails": row.get("emails") or 0,
                "ai": row.get("ai") or 0,
                "cost": -(row.get("cost") or 0),
            }
        )
    top = max([d["emails"] + d["ai"] for d in series] + [1])
    slot = WIDTH / days
    bar = slot * 0.7
    for index, d in enumerate(series):
        x = index * slot + (slot - bar) / 2
        emails_h = HEIGHT * d["emails"] / top
        ai_h = HEIGHT * d["ai"] / top
        d["x"], d["w"] = round(x, 1), round(bar, 1)
        d["emails_y"], d["emails_h"] = round(HEIGHT - emails_h, 1), round(emails_h, 1)
        d["ai_y"], d["ai_h"] = round(HEIGHT - emails_h - ai_h, 1), round(ai_h, 1)
    return {
        "days": series,
        "top": top,
        "width": WIDTH,
        "height": HEIGHT,
        "total_emails": sum(d["emails"] for d in series),
        "total_ai": sum(d["ai"] for d in series),
        "total_cost": sum(d["cost"] for d in series),
    }
