"""Reading a bounce report: which addresses failed, with what status and words, and which of our
messages it returns.

Real reports come in dozens of shapes. Three readers, from the most exact down, each adding what
the ones before did not find:
1. the **delivery-status** part of an RFC 3464 report (Postfix, Exim 4.9x, Sendmail, Exchange,
   Gmail, SES, WorkMail, OpenSMTPD, Zoho…): per recipient its Final-/Original-Recipient, Action,
   Status and Diagnostic-Code;
2. **flufl.bounce**'s detectors (qmail, old Exim, Yahoo, AOL, GroupWise…), which give addresses;
3. our **prose detectors** (`campaigns/inbox/bounce_formats.py`) for what neither reads:
   DragonFly DMA, V5 sendmail, Lotus Notes, mFILTER, X1, KDDI/au, OpenSMTPD's and others' free text.

Every address found is a *candidate* only: it must be a syntactically valid address, not the
mailbox's own, not a Message-ID or a domain. Which candidate is suppressed is decided by the
caller against what we sent (`campaigns/inbox/bounces.py`): only ever the recipient of one of
our messages. When no reader finds an address, the Message-IDs the report quotes (its
References/In-Reply-To, the returned headers, the message/rfc822 part) still identify our message
and so its recipient (`quoted_message_ids`).
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from flufl.bounce._scan import _DETECTORS as BOUNCE_DETECTORS

from campaigns.inbox.bounce_formats import prose_failures
from campaigns.inbox.failure_kinds import STATUS, Verdict, failure_verdict

logger = logging.getLogger(__name__)

# flufl.bounce's detectors take ~12 µs a line: a report padded to the 10 MB the sync reads
# whole held the worker for minutes. What they need comes first (the human-readable part and
# the delivery status); the returned message, after them, may be any size.
READ_AT_MOST = 256 * 1024

MESSAGE_ID = re.compile(r"<[^<>\s\x00-\x1f\x7f@]{1,200}@[^<>\s\x00-\x1f\x7f@]{1,200}>")
_QUOTED_ID = re.compile(
    rb"(?im)^[ \t>]*(?:message[- ]id|x-original-message-id|original-message-id|references|"
    rb"in-reply-to)[ \t]*:[ \t]*((?:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*))"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DIAGNOSTIC_TYPE = re.compile(r"^(?:smtp|x-[\w.-]+|x400)\s*;\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    """One failed address a report names."""

    address: str  # a valid candidate, lower case
    status: str  # "5.1.1", or "" when the report gives none
    text: str  # the diagnostic, or the report's words about it
    permanent: bool | None  # what the report itself says; None when it does not

    @property
    def verdict(self) -> Verdict:
        return failure_verdict(self.status, self.text, permanent=self.permanent)


def candidate(value: str | bytes, *, own: frozenset[str] = frozenset()) -> str:
    """`value` as an address we may act on, or "" when it is none: empty, a domain or
    `@domain`, a Message-ID, a pipe or a path, a mailbox's own address, anything invalid."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = value.strip().strip("<>\"'()[];,.").strip()
    if value.lower().startswith(("rfc822;", "smtp;", "x400;", "utf-8;")):
        value = value.split(";", 1)[1].strip().strip("<>")
    if value.lower().startswith("mailto:"):
        value = value[7:]
    value = value.lower()
    if (
        not value
        or len(value) > 254
        or _CONTROL.search(value)
        or value.startswith(("@", "|", "/"))
        or value.count("@") != 1
        or value in own
    ):
        return ""
    local, domain = value.split("@")
    if not local or "." not in domain or domain.startswith(("[", ".")) or "$" in local:
        return ""
    # A Message-ID's left part: long runs of digits/dots/hex with no vowel words are allowed as
    # local parts, but ids end in a host our messages never go to; the caller checks recipients.
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def report_failures(parsed: Message, raw: bytes, *, own: frozenset[str]) -> list[Failure]:
    """Every failed address the report names (each once, in a stable order), with what it
    says about each. `own`: the mailbox's own addresses, never candidates."""
    if len(raw) > READ_AT_MOST:
        parsed = email.message_from_bytes(raw[:READ_AT_MOST], policy=email.policy.compat32)
    found: dict[str, Failure] = {}

    def add(address, status: str, text: str, permanent: bool | None) -> None:
        address = candidate(address, own=own)
        if not address:
            return
        known = found.get(address)
        if known is None or (not known.status and status) or (not known.text and text):
            found[address] = Failure(
                address,
                status or (known.status if known else ""),
                text or (known.text if known else ""),
                permanent if permanent is not None else (known.permanent if known else None),
            )

    for recipient, status, text, permanent in _delivery_status(parsed):
        add(recipient, status, text, permanent)
    prose = human_text(parsed)
    for address, status, text, permanent in prose_failures(prose, parsed):
        add(address, status, text, permanent)
    # flufl.bounce's 17 heuristics cost more than both readers above together: asked only for
    # what those did not read.
    temporary, permanent = _detected(parsed) if not found else (frozenset(), frozenset())
    for address in sorted(permanent):
        add(address, "", _about(prose, address), True)
    for address in sorted(temporary - permanent):
        add(address, "", _about(prose, address), False)
    # A Message-ID has an address's shape: whatever the report quotes as one is none.
    ids = {i.strip("<>").lower() for i in quoted_message_ids(parsed, raw)}
    return [found[a] for a in sorted(found) if a not in ids]


def report_failure(parsed: Message, raw: bytes) -> Failure:
    """What the report says of its failure as a whole, whoever it names (a Message-ID
    fallback): its first delivery-status block's status and diagnostic, else its prose."""
    if len(raw) > READ_AT_MOST:
        parsed = email.message_from_bytes(raw[:READ_AT_MOST], policy=email.policy.compat32)
    for _recipient, status, text, permanent in _delivery_status(parsed, named_only=False):
        return Failure("", status, text, permanent)
    prose = human_text(parsed)[:4000]
    status = STATUS.search(prose)
    return Failure("", status.group(0) if status else "", prose, None)


def quoted_message_ids(parsed: Message, raw: bytes) -> list[str]:
    """The Message-IDs a report quotes, most telling first: the returned message's own
    (its headers, in a message/rfc822 or text/rfc822-headers part, or quoted in the prose), then
    what the report's In-Reply-To and References name (reply-style bounces)."""
    ids: list[str] = []
    for value in _QUOTED_ID.findall(raw[:READ_AT_MOST]):
        text = value.decode("ascii", "replace")
        ids.extend(i for i in MESSAGE_ID.findall(text) if i not in ids)
    head = f"{parsed.get('In-Reply-To', '')} {parsed.get('References', '')}"
    own_id = str(parsed.get("Message-ID", ""))
    for value in MESSAGE_ID.findall(head):
        if value not in ids:
            ids.append(value)
    return [i for i in ids if i not in own_id][:20]


def human_text(parsed: Message) -> str:
    """The human-readable part of a report (the first text part that is not the returned
    message), decoded; for a single-part report its body."""
    for part in parsed.walk():
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            break
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            text = payload[:READ_AT_MOST].decode(charset, "replace")
        except (LookupError, ValueError):
            text = payload[:READ_AT_MOST].decode("utf-8", "replace")
        if part.get_content_type() == "text/html":
            text = re.sub(r"<[^>]{0,2000}>", " ", text)
        if text.strip():
            return text
    return ""


def _about(prose: str, address: str) -> str:
    """The lines of the prose about an address: where it is named and the few after it."""
    lines = prose.splitlines()
    for n, line in enumerate(lines):
        if address in line.lower():
            return " ".join(x.strip() for x in lines[n : n + 4])[:1000]
    return prose[:1000]


def _delivery_status(parsed: Message, *, named_only: bool = True):
    """(recipient, status, diagnostic, permanent) of each recipient block of the report's
    message/delivery-status part(s); with `named_only=False` blocks naming none too."""
    for part in parsed.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, str):  # a text payload the parser did not split: do it here
            text = blocks.replace("\r\n", "\n")
            blocks = [
                email.message_from_string(chunk, policy=email.policy.compat32)
                for chunk in re.split(r"\n\s*\n", text)
            ]
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            code = STATUS.search(status)
            if action in {"delivered", "relayed", "expanded"}:
                continue
            if not action and not code:
                continue
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            diagnostic = _DIAGNOSTIC_TYPE.sub("", diagnostic)
            permanent = (
                True
                if action == "failed" or (code and code.group(1) == "5")
                else False
                if action == "delayed" or (code and code.group(1) == "4")
                else None
            )
            names = [
                str(block.get(name, "") or "")
                for name in ("Final-Recipient", "Original-Recipient", "X-Actual-Recipient")
            ]
            named = [value for value in names if value.strip()]
            for value in named or ([""] if not named_only else []):
                yield (value, code.group(0) if code else "", diagnostic or status, permanent)


def _detected(parsed: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """(temporary, permanent) failures by the first of flufl.bounce's detectors that finds
    any, as its `all_failures` does, except that a detector raising is skipped. Upstream
    re-raises, so one heuristic choking on a report stopped every detector after it: the
    Sina detector calls `.lower()` on a From header that holds raw UTF-8 (a Header object),
    and Yale's indexes an empty address list, so a qmail or Postfix bounce from such a host
    was never read and the address never suppressed."""
    for detector in BOUNCE_DETECTORS:
        try:
            temporary, permanent = detector().process(parsed)
        except Exception:
            logger.info("Bounce detector %s failed on a report", detector.__name__, exc_info=True)
            continue
        if temporary or permanent:
            return (
                frozenset(_text(a) for a in temporary),
                frozenset(_text(a) for a in permanent),
            )
    return frozenset(), frozenset()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
