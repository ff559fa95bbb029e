"""Campaign numbers read from the counters (`CampaignStat`): a fixed number of queries on a few
small rows, whatever the number of leads, messages or events."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from django.db.models import Sum
from django.utils.translation import gettext as _

from campaigns.models import METRICS, Campaign, CampaignStat, OutboundMessage, Step, Variant
from campaigns.models.stats import MESSAGE_METRICS
from campaigns.stats import today
from smtp_accounts.models import Mailbox

State = OutboundMessage.State
GROUPED = ("sent", "failed", "opened", "clicked", "replied")


def _sums(names=METRICS) -> dict[str, Sum]:
    return {name: Sum(name, default=0) for name in names}


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _with_rates(row: dict) -> dict:
    for name in ("opened", "clicked", "replied", "unsubscribed"):
        if name in row:
            row[f"{name}_rate"] = rate(row[name], row["sent"])
    return row


def outcome(row: dict) -> dict:
    """Summed counters made into what a report shows: delivered (sent, less the bounce reports
    received after acceptance), every bounce (during SMTP or reported later) and the rates.
    The campaign report and the workspace Reports page both read their numbers through this."""
    row = _with_rates(row)
    row["delivered"] = row["sent"] - row["returned"]
    row["bounced"] += row["returned"]
    row["bounced_rate"] = rate(row["bounced"], row["sent"] + row["failed"])
    return row


def campaigns_outcomes(campaign_ids: list[int]) -> dict[int, dict]:
    """Each campaign's totals (sent, opened, replied, bounced… with their rates), as its own
    report reads them, for a list of campaigns in one query."""
    rows = (
        CampaignStat.objects.filter(campaign_id__in=campaign_ids)
        .values("campaign_id")
        .annotate(**_sums(MESSAGE_METRICS))
        .order_by()
    )
    return {row.pop("campaign_id"): outcome(row) for row in rows}


def campaign_report(campaign: Campaign) -> dict:
    stats = CampaignStat.objects.filter(campaign=campaign)
    totals = outcome(stats.aggregate(**_sums()))
    totals["active"] = totals["enrolled"] - totals["completed"] - totals["stopped"]
    totals["queued"] = OutboundMessage.objects.filter(
        state__in=[State.QUEUED, State.SENDING], enrollment__campaign=campaign
    ).count()
    by_variant = _by_variant(campaign, stats)
    return {
        "totals": totals,
        "by_variant": by_variant,
        "by_mailbox": _by_mailbox(stats),
        "verdicts": ab_verdicts(by_variant),
        "chart": daily_series(campaign, today()),
    }


def _by_variant(campaign: Campaign, stats) -> list[dict]:
    """Every step and variant, those without a send yet included (with zeros): an A/B test
    with one variant still at 0 sends has no winner."""
    counted = {
        (row["step_id"], row["variant_id"]): row
        for row in stats.exclude(step_id=0)
        .values("step_id", "variant_id")
        .annotate(**_sums(GROUPED))
    }
    positions = dict(Step.objects.filter(campaign=campaign).values_list("pk", "position"))
    labels = {}
    for pk, step_id, label in Variant.objects.filter(step__campaign=campaign).values_list(
        "pk", "step_id", "label"
    ):
        labels[pk] = label
        counted.setdefault((step_id, pk), {"step_id": step_id, "variant_id": pk})
    result = [
        _with_rates(
            {
                "step__position": positions.get(step_id, 0),
                "variant__label": labels.get(variant_id, ""),
                **{name: row.get(name, 0) for name in GROUPED},
            }
        )
        for (step_id, variant_id), row in counted.items()
    ]
    return sorted(result, key=lambda r: (r["step__position"], r["variant__label"]))


def _by_mailbox(stats) -> list[dict]:
    rows = list(stats.exclude(step_id=0).values("mailbox_id").annotate(**_sums(GROUPED)))
    emails = dict(
        Mailbox.objects.filter(pk__in=[r["mailbox_id"] for r in rows]).values_list("pk", "email")
    )
    result = [
        {"mailbox__email": emails.get(row["mailbox_id"], ""), **{n: row[n] for n in GROUPED}}
        for row in rows
    ]
    return sorted(result, key=lambda r: r["mailbox__email"])


# --- A/B winner -----------------------------------------------------------------------------------

MIN_SAMPLE = 100
SIGNIFICANCE = 0.05


def fisher_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test of x1 in n1 against x2 in n2 (1.0 when a group
    is empty): with both groups' sizes and the total count fixed, the probability of a split
    at most as likely as the one seen. Exact, so right for the few replies an A/B test of cold
    mail has, where a z-test's normal approximation declares winners too early."""
    if not n1 or not n2:
        return 1.0
    total = x1 + x2

    def log_chance(x: int) -> float:  # hypergeometric, without the constant denominator
        return _log_comb(n1, x) + _log_comb(n2, total - x)

    seen = log_chance(x1) + 1e-7  # ties within rounding count as "as likely" (as R does)
    denominator = _log_comb(n1 + n2, total)
    # Splits further than 12 standard deviations (+20) from the mean weigh under 2e^-30 together
    # (Bernstein's bound): left out, so that a test of 100,000 opens a variant stays fast.
    size = n1 + n2
    mean = total * n1 / size
    spread = math.sqrt(total * n1 * n2 * (size - total) / (size * size * max(1, size - 1)))
    reach = 12 * spread + 20
    low = max(0, total - n2, math.floor(mean - reach))
    high = min(total, n1, math.ceil(mean + reach))
    p = sum(
        math.exp(chance - denominator)
        for chance in map(log_chance, range(low, high + 1))
        if chance <= seen
    )
    return min(1.0, p)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


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
        p = fisher_p_value(best[metric], best["sent"], second[metric], second["sent"])
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
    by_day = {
        row["day"]: row
        for row in CampaignStat.objects.filter(campaign=campaign, day__gte=start)
        .values("day")
        .annotate(**_sums(("sent", "opened", "replied")))
    }
    days = [start + datetime.timedelta(days=i) for i in range(CHART_DAYS)]
    series = {
        name: [by_day.get(d, {}).get(name, 0) for d in days]
        for name in ("sent", "opened", "replied")
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
    numbers = CampaignStat.objects.filter(campaign__workspace=workspace, day=today()).aggregate(
        **_sums(("sent", "opened", "replied"))
    )
    running = Campaign.objects.for_workspace(workspace).filter(status=Campaign.Status.RUNNING)
    return {"running": running.count(), **numbers}
