"""Rendering, all of it: a variant's templates parsed, rendered for a lead (the preview, with its
spintax variations), and turned into a MIME message ready for the sender (CRLF, RFC 5322)."""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from email.header import Header
from email.quoprimime import body_encode
from email.utils import format_datetime, formataddr, make_msgid

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from campaigns.authoring import content
from campaigns.authoring.templating import (
    HEADER,
    HTML,
    TEXT,
    Formatted,
    Template,
    TemplateError,
    parse,
)
from campaigns.models import Campaign, Lead, OutboundMessage, Variant
from campaigns.tokens import unsubscribe_url
from campaigns.tracking.links import add_pixel, rewrite_links
from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage

# Merge fields the sender fills in for every message, whatever the lead.
SYSTEM_FIELDS = {
    "unsubscribe_url",
    "sender_name",
    "sender_email",
    "sender_first_name",
    "signature",
}


# --- templates of a variant ---------------------------------------------------------------------


def first_subject(campaign: Campaign, label: str) -> str:
    first = Variant.objects.filter(step__campaign=campaign, step__position=1)
    variant = first.filter(label=label).first() or first.order_by("label").first()
    return variant.subject if variant else ""


def subject_source(variant: Variant) -> str:
    """A follow-up in the thread with no subject of its own replies to step 1's subject."""
    step = variant.step
    if not step.is_first and step.in_thread and not variant.subject.strip():
        return "Re: " + first_subject(step.campaign, variant.label)
    return variant.subject


def body_source(variant: Variant) -> str:
    campaign = variant.step.campaign
    if "{{unsubscribe_url" in variant.body_html or not campaign.unsubscribe_footer.strip():
        return variant.body_html
    return variant.body_html + campaign.unsubscribe_footer


@dataclass
class Parsed:
    subject: Template
    body: Template


def parse_variant(variant: Variant) -> Parsed:
    """Both templates; TemplateError names the part in its message."""
    try:
        subject = parse(subject_source(variant))
    except TemplateError as exc:
        raise TemplateError(_("Subject: %(m)s") % {"m": exc.message}, exc.line, exc.column) from exc
    try:
        body = parse(body_source(variant))
    except TemplateError as exc:
        raise TemplateError(_("Body: %(m)s") % {"m": exc.message}, exc.line, exc.column) from exc
    return Parsed(subject, body)


# --- preview ------------------------------------------------------------------------------------


def lead_values(lead: Lead | None, *, sender=None) -> dict[str, str]:
    values = lead.merge_values() if lead else {}
    values["unsubscribe_url"] = "#unsubscribe-preview"
    if sender is not None:
        values["sender_name"] = sender.from_name
        values["sender_first_name"] = sender.from_name.split(" ")[0] if sender.from_name else ""
        values["sender_email"] = sender.email
        values["signature"] = signature(sender.signature_text, sender.signature_html)
    return values


@functools.lru_cache(maxsize=256)  # the same few mailboxes sign every message
def signature(text: str, html: str) -> Formatted:
    """A mailbox's signature as `{{signature}}` gives it: its HTML, or its plain text with line
    breaks; the text from the plain-text field, or from the HTML."""
    text, html = text.strip(), html.strip()
    if not html:
        html = escape(text).replace("\r\n", "\n").replace("\n", "<br>")
    return Formatted(text or content.html_to_text(html), html=html)


def render_variant(
    variant: Variant, values: dict[str, str], *, seed: object, mark_missing: bool = False
) -> tuple[str, str, str]:
    """Subject (one line), HTML body and plain-text body of a variant for these values."""
    parsed = parse_variant(variant)
    text_source = content.template_text(body_source(variant))
    return (
        parsed.subject.render(values, seed=seed, mode=HEADER, mark_missing=mark_missing),
        parsed.body.render(values, seed=seed, mode=HTML, mark_missing=mark_missing),
        parse(text_source).render(values, seed=seed, mode=TEXT, mark_missing=mark_missing),
    )


@dataclass
class Preview:
    subject: str
    html: str
    text: str
    combinations: int
    variations: list[tuple[str, str]]
    unresolved: list[str]


def variant_preview(
    *, variant: Variant, lead: Lead | None, seed: object = 0, n: int = 3
) -> Preview:
    """Render for one lead; unresolved fields are marked; `n` other spintax variations."""
    parsed = parse_variant(variant)
    values = lead_values(lead, sender=variant.step.campaign.mailboxes.first())
    subject, html_body, text_body = render_variant(variant, values, seed=seed, mark_missing=True)
    combinations = parsed.subject.combinations() * parsed.body.combinations()
    seen = {(parsed.subject.render(values, seed=seed, mode=HEADER), html_body)}
    variations = []
    for i in range(1, 40 * n):
        if len(variations) >= n:
            break
        pair = (
            parsed.subject.render(values, seed=f"{seed}:{i}", mode=HEADER),
            parsed.body.render(values, seed=f"{seed}:{i}", mode=HTML, mark_missing=True),
        )
        if pair not in seen:
            seen.add(pair)
            variations.append(pair)
    unresolved = sorted(
        set(parsed.subject.unresolved(values)) | set(parsed.body.unresolved(values))
    )
    return Preview(
        subject,
        content.mark_literal_spintax(html_body),
        text_body,
        combinations,
        [(s, content.mark_literal_spintax(b)) for s, b in variations],
        unresolved,
    )


# --- the MIME message ---------------------------------------------------------------------------

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
