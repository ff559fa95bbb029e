"""Campaign numbers from aggregate queries: a fixed number of queries whatever the size."""

from __future__ import annotations

from django.db.models import Count, Q

from campaigns.models import Campaign, Enrollment, Event, OutboundMessage

State = OutboundMessage.State


def _message_counts(messages):
    human = Q(events__machine=False)
    return messages.aggregate(
        sent=Count("pk", filter=Q(state=State.SENT), distinct=True),
        failed=Count("pk", filter=Q(state=State.FAILED), distinct=True),
        unknown=Count("pk", filter=Q(state=State.UNKNOWN), distinct=True),
        queued=Count("pk", filter=Q(state__in=[State.QUEUED, State.SENDING]), distinct=True),
        opened=Count("pk", filter=Q(events__kind=Event.Kind.OPEN) & human, distinct=True),
        clicked=Count("pk", filter=Q(events__kind=Event.Kind.CLICK) & human, distinct=True),
        replied=Count("pk", filter=Q(events__kind=Event.Kind.REPLY), distinct=True),
        unsubscribed=Count("pk", filter=Q(events__kind=Event.Kind.UNSUBSCRIBE), distinct=True),
    )


def _grouped(messages, *keys):
    human = Q(events__machine=False)
    return list(
        messages.values(*keys)
        .annotate(
            sent=Count("pk", filter=Q(state=State.SENT), distinct=True),
            opened=Count("pk", filter=Q(events__kind=Event.Kind.OPEN) & human, distinct=True),
            clicked=Count("pk", filter=Q(events__kind=Event.Kind.CLICK) & human, distinct=True),
            replied=Count("pk", filter=Q(events__kind=Event.Kind.REPLY), distinct=True),
            bounced=Count("pk", filter=Q(state=State.FAILED), distinct=True),
        )
        .order_by(*keys)
    )


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
    }
