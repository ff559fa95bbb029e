"""The unified inbox: what came back to every mailbox of the workspace, as people read it."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from campaigns.models import OutboundMessage, Reply

UNLABELLED = "unlabelled"


def inbox_replies(workspace, *, label: str = "", campaign=None, mailbox=None, unread=False):
    """Newest first, filtered; each with its message, lead and campaign loaded."""
    replies = (
        Reply.objects.for_workspace(workspace)
        .select_related("message__enrollment__lead", "message__enrollment__campaign")
        .order_by("-received_at", "-pk")
    )
    if label == UNLABELLED:
        replies = replies.filter(label="")
    elif label:
        replies = replies.filter(label=label)
    if campaign is not None:
        replies = replies.filter(message__enrollment__campaign=campaign)
    if mailbox is not None:
        replies = replies.filter(message__mailbox=mailbox)
    if unread:
        replies = replies.filter(read_at__isnull=True)
    return replies


def inbox_counts(workspace) -> dict:
    """Unread replies per label, and in all, for the sidebar and the navigation."""
    rows = (
        Reply.objects.for_workspace(workspace)
        .values("label")
        .annotate(total=Count("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
    )
    counts = {row["label"] or UNLABELLED: row for row in rows}
    return {
        "labels": counts,
        "unread": sum(row["unread"] for row in counts.values()),
        "total": sum(row["total"] for row in counts.values()),
    }


def reply_thread(reply: Reply) -> list[tuple[str, object]]:
    """The lead's conversation in this campaign, oldest first: ("sent", message) for ours,
    ("received", reply) for theirs."""
    enrollment = reply.message.enrollment
    ours = OutboundMessage.objects.filter(
        enrollment=enrollment, state=OutboundMessage.State.SENT
    ).select_related("step")
    theirs = Reply.objects.filter(message__enrollment=enrollment)
    items = [(m.sent_at, "sent", m) for m in ours]
    items += [(r.received_at, "received", r) for r in theirs]
    return [(kind, item) for _at, kind, item in sorted(items, key=lambda i: (i[0], i[1]))]


def reply_open(reply: Reply) -> None:
    if reply.read_at is None:
        Reply.objects.filter(pk=reply.pk).update(read_at=timezone.now())


def reply_mark_unread(reply: Reply) -> None:
    Reply.objects.filter(pk=reply.pk).update(read_at=None)


def reply_relabel(reply: Reply, label: str) -> None:
    """A person's label; kept apart from the classifier's so it can learn from it."""
    Reply.objects.filter(pk=reply.pk).update(label=label, labelled_by_user=True)
