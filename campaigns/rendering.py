"""Turning a variant and a lead into a MIME message ready for the sender (CRLF, RFC 5322)."""

from __future__ import annotations

from email import policy
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid

from django.utils import timezone

from campaigns.authoring import lead_values, render_variant
from campaigns.models import Lead, OutboundMessage, Variant
from campaigns.tokens import unsubscribe_url
from campaigns.tracking import add_pixel, rewrite_links
from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage

# compat32 message classes: the header-registry API (EmailMessage + policy.SMTP) costs ~2.2 ms a
# message, these ~0.8 ms. Lines are never folded below RFC 5322's 998 characters, so long URLs in
# List-Unsubscribe stay on one line; non-ASCII names and subjects are RFC 2047 encoded words.
_CRLF = policy.compat32.clone(linesep="\r\n", max_line_length=998)
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # 7-bit bodies: not every server offers 8BITMIME


def _encoded(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _mime(
    *,
    mailbox: Mailbox,
    to: str,
    subject: str,
    html: str,
    text: str,
    message_id: str,
    extra: dict[str, str] | None = None,
) -> bytes:
    message = MIMEMultipart("alternative")
    message["From"] = formataddr((mailbox.from_name, mailbox.email), charset="utf-8")
    message["To"] = to
    message["Subject"] = _encoded(subject)
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id
    for name, value in (extra or {}).items():
        if value:
            message[name] = value
    message.attach(MIMEText(text, "plain", _UTF8_QP))
    message.attach(MIMEText(html, "html", _UTF8_QP))
    return message.as_bytes(policy=_CRLF)


def build_message(
    *, variant: Variant, lead: Lead | None, mailbox: Mailbox, to: str, seed: object
) -> OutgoingMessage:
    """A one-off rendering (test sends): no tracking, a placeholder unsubscribe link."""
    subject, html, text = render_variant(variant, lead_values(lead, sender=mailbox), seed=seed)
    message_id = make_msgid(domain=mailbox.domain)
    raw = _mime(
        mailbox=mailbox, to=to, subject=subject, html=html, text=text, message_id=message_id
    )
    return OutgoingMessage(to, raw, message_id)


def render_outbound(
    message: OutboundMessage, *, previous: OutboundMessage | None
) -> OutgoingMessage:
    """Render a campaign message, record what is sent on it (not saved here), build the MIME.

    Seeded by the message token, so a re-render gives the same text. A follow-up in the thread
    answers `previous` (In-Reply-To, References, "Re: " + the thread's subject).
    """
    mailbox = message.mailbox
    step = message.step
    values = lead_values(message.enrollment.lead, sender=mailbox)
    unsubscribe = unsubscribe_url(message.token)
    values["unsubscribe_url"] = unsubscribe
    subject, html, text = render_variant(message.variant, values, seed=message.token)
    campaign = message.enrollment.campaign
    message.tracked_links = []
    if campaign.track_clicks:
        html, message.tracked_links = rewrite_links(html, message.token, skip=unsubscribe)
    if campaign.track_opens:
        html = add_pixel(html, message.token)
    threaded = previous is not None and not step.is_first and step.in_thread
    if threaded and not message.variant.subject.strip():
        thread_subject = previous.subject.removeprefix("Re: ")
        subject = f"Re: {thread_subject}"
    message.subject, message.body_html, message.body_text = subject, html, text
    message.message_id = make_msgid(domain=mailbox.domain)
    if threaded:
        message.in_reply_to = previous.message_id
        message.references = " ".join(filter(None, [previous.references, previous.message_id]))
    extra = {
        "In-Reply-To": message.in_reply_to,
        "References": message.references,
        "List-Unsubscribe": f"<{unsubscribe}>, <mailto:{mailbox.email}?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    raw = _mime(
        mailbox=mailbox,
        to=message.recipient,
        subject=subject,
        html=html,
        text=text,
        message_id=message.message_id,
        extra=extra,
    )
    return OutgoingMessage(message.recipient, raw, message.message_id)
