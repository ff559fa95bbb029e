"""Turning a variant and a lead into a MIME message ready for the sender (CRLF, RFC 5322)."""

from __future__ import annotations

import secrets
from email.header import Header
from email.quoprimime import body_encode
from email.utils import format_datetime, formataddr, make_msgid

from django.utils import timezone

from campaigns.authoring.services import lead_values, render_variant
from campaigns.models import Lead, OutboundMessage, Variant
from campaigns.tokens import unsubscribe_url
from campaigns.tracking.links import add_pixel, rewrite_links
from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage

# The message is written out directly: a multipart/alternative of a plain-text and an HTML
# part, both UTF-8 in quoted-printable (7-bit: not every server offers 8BITMIME). The email
# package's classes and generator took ~0.8 ms a message for this fixed shape, most of the
# sending pipeline's own time (docs/BENCHMARKS.md); its encoders are still what encode here.
# Header lines stay under RFC 5322's 998 characters without folding long URLs; non-ASCII names
# and subjects are RFC 2047 encoded words; CR and LF never reach a header.
_CRLF = "\r\n"
_LINE_BREAKS = str.maketrans({"\r": " ", "\n": " "})


# The subject of the mail our List-Unsubscribe mailto asks for (RFC 2369); the inbox reads such
# a mail from a lead as their request to unsubscribe (campaigns/inbox/receive.py).
UNSUBSCRIBE_MAILTO_SUBJECT = "unsubscribe"


def _header(name: str, value: str) -> str:
    value = value.translate(_LINE_BREAKS)
    if not value.isascii():
        value = Header(value, "utf-8", header_name=name).encode(linesep=_CRLF)
    line = f"{name}: {value}"
    if len(line) <= 998:
        return line
    # Only a very long References chain gets here: fold between its message ids.
    folded, current = [], f"{name}:"
    for word in value.split(" "):
        if len(current) + 1 + len(word) > 998 and current != f"{name}:":
            folded.append(current)
            current = ""
        current += " " + word
    return _CRLF.join([*folded, current])


def _part(content_type: str, text: str) -> str:
    body = body_encode(text.encode("utf-8").decode("latin-1"), 76, eol=_CRLF)
    return (
        f'Content-Type: {content_type}; charset="utf-8"{_CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{_CRLF}{_CRLF}{body}"
    )


def build_mime(
    *,
    mailbox: Mailbox,
    to: str,
    subject: str,
    html: str,
    text: str,
    message_id: str,
    extra: dict[str, str] | None = None,
) -> bytes:
    # "=" starts every quoted-printable escape, so "=_" can never occur inside a part.
    boundary = f"=_{secrets.token_hex(12)}"
    headers = [
        _header("From", formataddr((mailbox.from_name, mailbox.email), charset="utf-8")),
        _header("To", to),
        _header("Subject", subject),
        _header("Date", format_datetime(timezone.now())),
        _header("Message-ID", message_id),
        *(_header(name, value) for name, value in (extra or {}).items() if value),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    return _CRLF.join(
        [
            *headers,
            "",
            f"--{boundary}",
            _part("text/plain", text),
            f"--{boundary}",
            _part("text/html", html),
            f"--{boundary}--",
            "",
        ]
    ).encode("ascii")


def build_message(
    *, variant: Variant, lead: Lead | None, mailbox: Mailbox, to: str, seed: object
) -> OutgoingMessage:
    """A one-off rendering (test sends): no tracking, a placeholder unsubscribe link."""
    subject, html, text = render_variant(variant, lead_values(lead, sender=mailbox), seed=seed)
    message_id = make_msgid(domain=mailbox.domain)
    raw = build_mime(
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
        "List-Unsubscribe": (
            f"<{unsubscribe}>, <mailto:{mailbox.email}?subject={UNSUBSCRIBE_MAILTO_SUBJECT}>"
        ),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    raw = build_mime(
        mailbox=mailbox,
        to=message.recipient,
        subject=subject,
        html=html,
        text=text,
        message_id=message.message_id,
        extra=extra,
    )
    return OutgoingMessage(message.recipient, raw, message.message_id)
