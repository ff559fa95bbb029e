"""The unified inbox: what came back to every mailbox of the workspace, as people read it."""

from __future__ import annotations

from email.utils import make_msgid

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from ai.classifier import reply_refine
from ai.services import has_remote_provider
from api import events as webhook_events
from campaigns.authoring.rendering import build_mime, lead_values, signature
from campaigns.leads.suppression import is_suppressed
from campaigns.leads.unsubscribe import recipient_unsubscribe
from campaigns.models import OutboundMessage, Reply, SentReply
from core.db import search_words
from smtp_accounts.models import Mailbox
from smtp_accounts.replies import Outcome
from smtp_accounts.sender import OutgoingMessage
from smtp_accounts.services import mailbox_send_batch

UNLABELLED = "unlabelled"


_SEARCHED = (
    "from_address",
    "subject",
    "text",
    "message__enrollment__lead__email",
    "message__enrollment__lead__first_name",
    "message__enrollment__lead__last_name",
    "message__enrollment__lead__company",
)


def inbox_replies(
    workspace, *, label: str = "", campaign=None, mailbox=None, unread=False, q: str = ""
):
    """Newest first, filtered; each with its message, lead and campaign loaded. `q` keeps the
    replies holding every one of its first words in the sender's address, the lead's name or
    company, the subject or the new text."""
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
    return search_words(replies, q, _SEARCHED)


def replies_mark_read(*, replies) -> int:
    """Mark every unread reply of a filtered inbox read; how many were."""
    return replies.filter(read_at__isnull=True).update(read_at=timezone.now())


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
    """The lead's conversation in this campaign, oldest first: ("sent", message) for the
    campaign's, ("received", reply) for theirs, ("answered", sent reply) for answers from here."""
    enrollment = reply.message.enrollment
    ours = OutboundMessage.objects.filter(
        enrollment=enrollment, state=OutboundMessage.State.SENT
    ).select_related("step")
    theirs = Reply.objects.filter(message__enrollment=enrollment)
    answers = SentReply.objects.filter(reply__message__enrollment=enrollment)
    items = [(m.sent_at, "sent", m) for m in ours]
    items += [(r.received_at, "received", r) for r in theirs]
    items += [(a.sent_at, "answered", a) for a in answers]
    return [(kind, item) for _at, kind, item in sorted(items, key=lambda i: (i[0], i[1]))]


def next_unread(workspace, reply: Reply) -> Reply | None:
    """The newest unread reply of the workspace but this one, to go on reading."""
    return (
        Reply.objects.for_workspace(workspace)
        .filter(read_at__isnull=True)
        .exclude(pk=reply.pk)
        .order_by("-received_at", "-pk")
        .only("pk")
        .first()
    )


def reply_open(*, reply: Reply) -> None:
    if reply.read_at is None:
        Reply.objects.filter(pk=reply.pk).update(read_at=timezone.now())


def reply_mark_unread(*, reply: Reply) -> None:
    Reply.objects.filter(pk=reply.pk).update(read_at=None)


def reply_relabel(*, reply: Reply, label: str) -> bool:
    """A person's label; kept apart from the classifier's so it can learn from it. Labelled
    `unsubscribe` (the words the classifier missed), the lead is unsubscribed as by the link;
    a label never lifts a suppression. True when that unsubscribed them."""
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(label=label, labelled_by_user=True)
        before, reply.label = reply.label, label
        webhook_events.reply_relabelled(
            reply.message.enrollment.campaign.workspace_id, reply, reply.message, before=before
        )
        if label == Reply.Label.UNSUBSCRIBE and before != label:
            recipient_unsubscribe(message=reply.message)
            return True
    return False


def replies_refine_later(*, workspace, replies: list[Reply]) -> None:
    """With a remote AI provider, a task refines each new reply's label (`reply_refine_label`);
    the inbox sync never waits on HTTP. Requests to stop are final already and are not sent
    anywhere."""
    from campaigns.tasks import refine_reply_label

    wanted = [r.pk for r in replies if r.kind == Reply.Kind.REPLY and r.pk
              and r.label != Reply.Label.UNSUBSCRIBE]  # fmt: skip
    if wanted and has_remote_provider(workspace):
        for pk in wanted:
            refine_reply_label.delay_on_commit(pk)


def reply_refine_label(*, reply_id: int) -> bool:
    """Ask the workspace's AI provider for a better label than the offline rules gave, with the
    redacted new text and subject; a person's label is never overwritten. True when stored.
    A refined "unsubscribe" unsubscribes the lead, as a person's relabel does."""
    reply = (
        Reply.objects.select_related("message__enrollment__lead", "message__enrollment__campaign")
        .filter(pk=reply_id, kind=Reply.Kind.REPLY)
        .first()
    )
    if reply is None or reply.labelled_by_user or reply.label_provider:
        return False
    lead = reply.message.enrollment.lead
    workspace = reply.message.enrollment.campaign.workspace
    known = [reply.from_address, *lead_values(lead).values()]
    verdict = reply_refine(
        workspace=workspace, text=reply.text, subject=reply.subject, known_values=known
    )
    if verdict is None:
        return False
    with transaction.atomic():
        updated = Reply.objects.filter(pk=reply.pk, labelled_by_user=False).update(
            label=verdict.label, label_confidence=verdict.confidence,
            label_reason=verdict.reason[:200], label_provider=verdict.provider,
        )  # fmt: skip
        if updated and verdict.label == Reply.Label.UNSUBSCRIBE and reply.label != verdict.label:
            recipient_unsubscribe(message=reply.message)
        if updated and verdict.label == Reply.Label.INTERESTED:
            from campaigns.notices import reply_notify_interested

            reply.label = verdict.label
            reply_notify_interested(reply=reply)
    return bool(updated)


class AnswerError(ValueError):
    """Why an answer could not be sent, in words shown to the user."""


def answer_subject(reply: Reply) -> str:
    subject = reply.subject or reply.message.subject
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def reply_answer(*, reply: Reply, subject: str, body: str, user) -> SentReply:
    """Answer a reply from the mailbox the conversation went through, in its thread, signed
    with its signature as a mail client would; stored as the user wrote it."""
    message = reply.message
    mailbox = message.mailbox
    if mailbox is None or mailbox.status != Mailbox.Status.ACTIVE:
        raise AnswerError(_("The mailbox this conversation went through is not active."))
    if not mailbox.workspace.may_send():  # DESIGN §5.9: a suspended workspace sends nothing
        raise AnswerError(
            _("This workspace is suspended (or has no active owner): nothing can be sent.")
        )
    to = reply.from_address or message.recipient
    if is_suppressed(mailbox.workspace, to):  # DESIGN §5.2: never mail the suppressed
        raise AnswerError(
            _(
                "%(to)s is on the suppression list (unsubscribed, bounced or blocked): "
                "nothing was sent."
            )
            % {"to": to}
        )
    subject = " ".join(subject.split())[:300] or answer_subject(reply)  # one line, always
    answering = reply.header_message_id or message.message_id
    references = " ".join(filter(None, [message.references, message.message_id, answering]))
    message_id = make_msgid(domain=mailbox.domain)
    html, text = "<p>" + escape(body).replace("\n", "<br>") + "</p>", body
    if signed := signature(mailbox.signature_text, mailbox.signature_html):
        html, text = f"{html}<p>{signed.html}</p>", f"{text}\n\n{signed}"
    raw = build_mime(
        mailbox=mailbox,
        to=to,
        subject=subject,
        html=html,
        text=text,
        message_id=message_id,
        extra={"In-Reply-To": answering, "References": references},
    )
    [result] = mailbox_send_batch(mailbox=mailbox, messages=[OutgoingMessage(to, raw, message_id)])
    if result.outcome is not Outcome.SENT:
        raise AnswerError(
            _("Not sent: the server answered %(reply)s.")
            % {"reply": f"{result.code or ''} {result.response}".strip()}
        )
    reply_open(reply=reply)
    return SentReply.objects.create(
        reply=reply,
        sent_by=user,
        to=to,
        subject=subject,
        body_text=body,
        message_id=message_id,
        sent_at=timezone.now(),
        smtp_response=result.response[:2000],
    )
