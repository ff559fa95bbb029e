"""Reading incoming mail the way the inbox needs it: headers decoded, the sender, a fingerprint,
the text and HTML parts, and the new text of a reply without its quoted history."""

from __future__ import annotations

import email.errors
import hashlib
import logging
import re
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr

from mailparser_reply import EmailReplyParser

from campaigns.authoring.content import html_to_text
from campaigns.inbox.quotes import cut_history, without_quoted_html
from core.text import storable

logger = logging.getLogger(__name__)

REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv"]
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|antw|sv|vs|r|rif|ref|odp|res|fw|fwd|wg)\s*:\s*)+", re.I)


def header(parsed: Message, name: str) -> str:
    value = parsed.get(name)
    if value is None:
        return ""
    try:
        if isinstance(value, Header):  # raw 8-bit (RFC 6532 UTF-8) in the header: decode it
            text = "".join(_chunk(chunk, charset) for chunk, charset in decode_header(value))
        else:
            text = str(make_header(decode_header(str(value))))
    except (UnicodeError, LookupError, ValueError, email.errors.MessageError):
        text = str(value)
    return storable(" ".join(text.split()))


def _chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    if charset in (None, "unknown-8bit"):
        charset = "utf-8"
    try:
        return chunk.decode(charset, "replace")
    except LookupError:
        return chunk.decode("utf-8", "replace")


# `Name <a@b>` or a bare `a@b`, nothing else: the common header, read without the full parser.
_ADDR = r'[^<>@\s",;:()\[\]\\]+@[^<>@\s",;:()\[\]\\]+'
_PLAIN_ADDRESS = re.compile(rf'^(?:[^<>@",;:()\\]*<({_ADDR})>|\s*({_ADDR}))\s*$')


def sender(parsed: Message) -> str:
    """The address a reply comes from: Reply-To, else From, else Sender; lower case."""
    for name in ("Reply-To", "From"):
        raw = parsed.get(name)
        if raw is None:
            continue
        plain = _PLAIN_ADDRESS.match(str(raw)) if "=?" not in str(raw) else None
        if plain:  # the inbox sync judges every header it sees: skip the parser when we can
            return storable((plain.group(1) or plain.group(2)).lower()[:254])
        addresses = [a for _n, a in getaddresses([header(parsed, name)]) if "@" in a]
        if addresses:
            return addresses[0].strip().lower()[:254]
    return parseaddr(header(parsed, "Sender"))[1].lower()[:254]


def fingerprint(parsed: Message, raw: bytes) -> str:
    ids = MESSAGE_ID.findall(header(parsed, "Message-ID"))
    source = ids[0].encode() if ids else raw
    return hashlib.sha256(source).hexdigest()


def thread_subject(subject: str) -> str:
    return SUBJECT_PREFIX.sub("", subject or "").strip().lower()


# Of a reply's HTML, what is read for its text and kept (sanitised) for display: the sync reads
# mail of up to 10 MB whole, and a person's answer is at the top.
HTML_READ_AT_MOST = 1_000_000


def bodies(parsed: Message) -> tuple[str, str]:
    """The first text/plain and text/html parts (attachments skipped), decoded."""
    text = html = ""
    for part in parsed.walk() if parsed.is_multipart() else [parsed]:
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind not in ("text/plain", "text/html") or (text if kind == "text/plain" else html):
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            decoded = payload.decode(charset, "replace")
        except (LookupError, ValueError):  # an unknown charset name, or one holding a NUL
            decoded = payload.decode("utf-8", "replace")
        if kind == "text/plain":
            text = storable(decoded)
        else:
            html = storable(decoded)
    if not text and html:
        text = html_to_text(without_quoted_html(html[:HTML_READ_AT_MOST]))
    return text, html


# mail-parser-reply's patterns cost the square of a line's length (one 90,000-character line of
# "On On On …" took three minutes) and of a run of blank lines (`\s*^`: 40,000 newlines, two
# minutes). It reads at most PARSED_AT_MOST characters (the new text kept is at most 20,000);
# lines longer than LONG_LINE — never a quote header — are set aside for it and put back in its
# answer; runs of blank lines are cut to two.
PARSED_AT_MOST = 40_000
LONG_LINE = 500


def new_text(text: str, *, footer_lines: frozenset[str] = frozenset()) -> str:
    """What the person wrote this time: quoted history, headers of it, signature and any line
    of our own footer removed (`campaigns/inbox/quotes.py`, then mail-parser-reply)."""
    if not text.strip():
        return ""
    text = cut_history(text[:PARSED_AT_MOST], footer_lines=footer_lines)
    lines: list[str] = []
    aside: dict[str, str] = {}
    for line in text.split("\n"):
        if len(line) > LONG_LINE:
            key = f"postigolongline{len(lines)}x"
            aside[key] = line.strip()
            line = key
        elif not line.strip() and len(lines) > 1 and not "".join(lines[-2:]).strip():
            continue  # a third blank line in a row
        lines.append(line)
    try:
        new = EmailReplyParser(languages=REPLY_LANGUAGES).parse_reply(text="\n".join(lines))
    except Exception:  # the parser's regexes on unusual input: keep the whole text
        logger.exception("Could not separate a reply from its quoted history")
        new = ""
    for key, line in aside.items():
        new = new.replace(key, line)
    return (new or text).strip()[:20_000]
