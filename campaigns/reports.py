"""Campaign numbers from aggregate queries: a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Enrollment, Event, OutboundMessage

State = OutboundMessage.State


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition, distinct=True)


def _metrics() -> dict[str, Count]:
    """Messages per outcome; opens and clicks by people only (machines are flagged)."""
    human = Q(events__machine=False)
    return {
        "sent": _count(Q(state=State.SENT)),
        "failed": _count(Q(state=State.FAILED)),
        "opened": _count(Q(events__kind=Event.Kind.OPEN) & human),
        "clicked": _count(Q(events__kind=Event.Kind.CLICK) & human),
        "replied": _count(Q(events__kind=Event.Kind.REPLY)),
    }


def _message_counts(messages):
    return messages.aggregate(
        **_metrics(),
        unknown=_count(Q(state=State.UNKNOWN)),
        queued=_count(Q(state__in=[State.QUEUED, State.SENDING])),
        unsubscribed=_count(Q(events__kind=Event.Kind.UNSUBSCRIBE)),
    )


def _grouped(messages, *keys):
    return list(messages.values(*keys).annotate(**_metrics()).order_by(*keys))


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def campaign_report(campaign: Campaign) -> dict:
    messages = OutboundMessage.objects.filter(enrollment__campaign=campaign)
    enrollments = Enrollment.objects.filter(campaign=campaign).aggregate(
        enrolled=Count("pk"),
        active=Count("pk", filter=Q(status=Enrollment.Status.ACTIVE)),
        completed=Count("pk", filter=Q(status=Enrollment.Status.COMPLETED)),
        bounced=Count("pk", filter=Q(stop_reason="bounced")),
    )
    totals = _message_counts(messages) | enrollments
    for name in ("opened", "clicked", "replied", "unsubscribed"):
        totals[f"{name}_rate"] = rate(totals[name], totals["sent"])
    totals["bounced_rate"] = rate(totals["bounced"], totals["sent"] + totals["bounced"])
    by_variant = _grouped(messages, "step__position", "variant__label")
    for row in by_variant:
        for name in ("opened", "clicked", "replied"):
            row[f"{name}_rate"] = rate(row[name], row["sent"])
    return {
        "totals": totals,
        "by_variant": by_variant,
        "by_mailbox": _grouped(messages, "mailbox__email"),
        "verdicts": ab_verdicts(by_variant),
        "chart": daily_series(campaign, datetime.datetime.now(datetime.UTC).date()),
    }


# --- A/B winner -----------------------------------------------------------------------------------

MIN_SAMPLE = 100
SIGNIFICANCE = 0.05


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of a two-proportion z-test (1.0 when it cannot tell anything)."""
    if not n1 or not n2:
        return 1.0
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / spread
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass
class Verdict:
    step: int
    winner: str | None
    metric: str
    message: str


def ab_verdicts(rows: list[dict]) -> list[Verdict]:
    """Per step with several variants: a winner by reply rate, else click, else open rate —
    only when each variant has MIN_SAMPLE sends and the difference is significant."""
    steps: dict[int, list[dict]] = {}
    for row in rows:
        steps.setdefault(row["step__position"], []).append(row)
    verdicts = []
    for step, variants in sorted(steps.items()):
        if len(variants) < 2:
            continue
        small = [v for v in variants if v["sent"] < MIN_SAMPLE]
        if small:
            counts = ", ".join(f"{v['variant__label']}: {v['sent']}" for v in variants)
            verdicts.append(
                Verdict(
                    step,
                    None,
                    "",
                    _("No winner yet: each variant needs %(n)s sends (%(counts)s).")
                    % {"n": MIN_SAMPLE, "counts": counts},
                )
            )
            continue
        verdicts.append(_decide(step, variants))
    return verdicts


def _decide(step: int, variants: list[dict]) -> Verdict:
    for metric, label in (
        ("replied", _("reply rate")),
        ("clicked", _("click rate")),
        ("opened", _("open rate")),
    ):
        ranked = sorted(variants, key=lambda v: v[metric] / v["sent"], reverse=True)
        best, second = ranked[0], ranked[1]
        if best[metric] == second[metric] == 0:
            continue
        p = two_proportion_p_value(best[metric], best["sent"], second[metric], second["sent"])
        if p < SIGNIFICANCE:
            return Verdict(
                step,
                best["variant__label"],
                metric,
                _(
                    "%(w)s wins on %(metric)s: %(a)s%% vs %(b)s%% for %(l)s "
                    "(p = %(p).3f; %(n1)s and %(n2)s sent)."
                )
                % {
                    "w": best["variant__label"],
                    "metric": label,
                    "a": rate(best[metric], best["sent"]),
                    "b": rate(second[metric], second["sent"]),
                    "l": second["variant__label"],
                    "p": p,
                    "n1": best["sent"],
                    "n2": second["sent"],
                },
            )
    return Verdict(step, None, "", _("No significant difference between the variants yet."))


# --- daily chart ----------------------------------------------------------------------------------

CHART_DAYS = 14
CHART_W, CHART_H = 640, 180


def daily_series(campaign: Campaign, today: datetime.date) -> dict:
    start = today - datetime.timedelta(days=CHART_DAYS - 1)
    messages = OutboundMessage.objects.filter(enrollment__campaign=campaign)
    sent = dict(
        messages.filter(state=State.SENT, sent_at__date__gte=start)
        .annotate(day=TruncDate("sent_at"))
        .values_list("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    events = Event.objects.filter(
        message__enrollment__campaign=campaign, created_at__date__gte=start
    )
    opened = dict(
        events.filter(kind=Event.Kind.OPEN, machine=False)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("message", distinct=True))
        .values_list("day", "n")
    )
    replied = dict(
        events.filter(kind=Event.Kind.REPLY)
        .annotate(day=TruncDate("created_at"))
        .values_list("day")
        .annotate(n=Count("message", distinct=True))
        .values_list("day", "n")
    )
    days = [start + datetime.timedelta(days=i) for i in range(CHART_DAYS)]
    series = {
        "sent": [sent.get(d, 0) for d in days],
        "opened": [opened.get(d, 0) for d in days],
        "replied": [replied.get(d, 0) for d in days],
    }
    top = max(1, *(max(values) for values in series.values()))
    step = CHART_W / (CHART_DAYS - 1)

    def points(values):
        return " ".join(
            f"{i * step:.1f},{CHART_H - v / top * (CHART_H - 10):.1f}" for i, v in enumerate(values)
        )

    return {
        "days": days,
        "series": series,
        "lines": {name: points(values) for name, values in series.items()},
        "top": top,
        "width": CHART_W,
        "height": CHART_H,
    }


def workspace_today(workspace) -> dict:
    """The home page's numbers: today's sends, human opens and replies across campaigns."""
    since = datetime.datetime.now(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = OutboundMessage.objects.filter(
        enrollment__campaign__workspace=workspace, state=State.SENT, sent_at__gte=since
    ).count()
    events = Event.objects.filter(
        message__enrollment__campaign__workspace=workspace, created_at__gte=since
    ).aggregate(
        opened=Count("message", filter=Q(kind=Event.Kind.OPEN, machine=False), distinct=True),
        replied=Count("message", filter=Q(kind=Event.Kind.REPLY), distinct=True),
    )
    running = Campaign.objects.for_workspace(workspace).filter(status=Campaign.Status.RUNNING)
    return {"sent": sent, "running": running.count(), **events}
