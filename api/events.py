"""The webhook events of the outreach domain, one function each, called from the places where
the thing happens (small call sites in campaigns/ and smtp_accounts/). Each writes outbox rows in
the caller's transaction (api/webhooks.py) and costs one query when no endpoint listens."""

from __future__ import annotations

from collections import defaultdict

from api.models import WebhookEndpoint
from api.payloads import campaign_data, lead_data, message_data, now, reply_data
from api.webhooks import webhooks_emit, webhooks_emit_many


def emails_sent(workspace_id: int | None, messages) -> None:
    if workspace_id is None:  # a batch of one mailbox, whose workspace the caller did not say
        from campaigns.models import Enrollment

        first = Enrollment.objects.filter(pk=messages[0].enrollment_id).values_list(
            "campaign__workspace_id", flat=True
        )
        workspace_id = first[0]
    webhooks_emit_many(
        workspace=workspace_id, event="email.sent", items=[message_data(m) for m in messages]
    )


def email_bounced(workspace_id: int, message, *, permanent: bool, reason: str, during: str) -> None:
    """`during`: "smtp" (refused while sending) or "report" (a bounce report came back)."""
    webhooks_emit(
        workspace=workspace_id,
        event="email.bounced",
        data=message_data(
            message, bounce={"permanent": permanent, "reason": reason[:500], "during": during}
        ),
    )


def replies_received(workspace_id: int, pairs) -> None:
    """(reply, message) pairs: reply.received for each; lead.interested for those so labelled."""
    pairs = list(pairs)
    webhooks_emit_many(
        workspace=workspace_id,
        event="reply.received",
        items=[reply_data(reply, message) for reply, message in pairs],
    )
    interested = [(r, m) for r, m in pairs if r.label == "interested"]
    if interested:
        webhooks_emit_many(
            workspace=workspace_id,
            event="lead.interested",
            items=[reply_data(r, m) | {"labelled_by": "classifier"} for r, m in interested],
        )


def reply_relabelled(workspace_id: int, reply, message, *, before: str) -> None:
    if reply.label == "interested" and before != "interested":
        webhooks_emit(
            workspace=workspace_id,
            event="lead.interested",
            data=reply_data(reply, message) | {"labelled_by": "user"},
        )


def lead_unsubscribed(workspace_id: int, message, *, reason: str) -> None:
    webhooks_emit(
        workspace=workspace_id,
        event="lead.unsubscribed",
        data=message_data(message, reason=reason, at=now()),
    )


def campaign_status_changed(campaign, *, before: str, reason: str = "") -> None:
    """`reason`: why Postigo changed it (bounce guard, balance, review), empty for a person."""
    webhooks_emit(
        workspace=campaign.workspace_id,
        event="campaign.status_changed",
        data={
            "campaign": campaign_data(campaign),
            "previous_status": before,
            "status": campaign.status,
            "reason": reason,
            "at": now(),
        },
    )


def mailbox_error(mailbox, *, reason: str, reading: bool) -> None:
    webhooks_emit(
        workspace=mailbox.workspace_id,
        event="mailbox.error",
        data={
            "mailbox": {"id": mailbox.pk, "email": mailbox.email, "status": mailbox.status},
            "while": "reading replies" if reading else "sending",
            "reason": reason[:500],
            "at": now(),
        },
    )


def tracking_hits(events) -> None:
    """email.opened / email.clicked for recorded opens and clicks, with the machine flag.
    Nothing at all (one query) when no workspace has an endpoint."""
    from campaigns.models import Event, OutboundMessage, TrackedLink

    events = list(events)
    if not events or not WebhookEndpoint.objects.filter(enabled=True).exists():
        return
    info = {
        row["pk"]: row
        for row in OutboundMessage.objects.filter(pk__in={e.message_id for e in events}).values(
            "pk",
            "recipient",
            "subject",
            "step__position",
            "enrollment__campaign_id",
            "enrollment__campaign__name",
            "enrollment__campaign__workspace_id",
            "enrollment__lead_id",
            "enrollment__lead__email",
        )
    }
    urls = dict(
        TrackedLink.objects.filter(pk__in={e.link_id for e in events if e.link_id}).values_list(
            "pk", "url"
        )
    )
    batches: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for event in events:
        row = info.get(event.message_id)
        if row is None:
            continue
        kind = "email.opened" if event.kind == Event.Kind.OPEN else "email.clicked"
        data = {
            "message_id": row["pk"],
            "recipient": row["recipient"],
            "subject": row["subject"],
            "step": row["step__position"],
            "campaign": {
                "id": row["enrollment__campaign_id"],
                "name": row["enrollment__campaign__name"],
            },
            "lead": {"id": row["enrollment__lead_id"], "email": row["enrollment__lead__email"]},
            "machine": event.machine,
            "at": event.created_at.isoformat().replace("+00:00", "Z"),
        }
        if kind == "email.clicked":
            data["url"] = urls.get(event.link_id)
        batches[(row["enrollment__campaign__workspace_id"], kind)].append(data)
    for (workspace_id, kind), items in batches.items():
        webhooks_emit_many(workspace=workspace_id, event=kind, items=items)


__all__ = ["lead_data"]


def balance_low(workspace, *, balance: int, currency: str, threshold: int, exhausted: bool) -> None:
    """Once per crossing, as billing tells the workspace (amounts in minor units)."""
    webhooks_emit(
        workspace=workspace,
        event="balance.low",
        data={
            "balance": balance,
            "currency": currency,
            "threshold": threshold,
            "exhausted": exhausted,
            "at": now(),
        },
    )
