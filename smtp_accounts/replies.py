"""What an SMTP reply means for the message, the recipient and the mailbox."""

from __future__ import annotations

import re
from enum import StrEnum


class Outcome(StrEnum):
    SENT = "sent"  # 2xx
    TEMPORARY = "temporary"  # retry later with backoff
    HARD_BOUNCE = "hard_bounce"  # this address does not exist: suppress it
    REJECTED = "rejected"  # this message failed for good, the address is fine
    MAILBOX = "mailbox"  # the sending mailbox has a problem (auth, policy, rate): pause it


_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_UNKNOWN_USER = re.compile(
    r"user unknown|unknown user|no such user|does not exist|doesn.t exist|not found|"
    r"mailbox unavailable|invalid recipient|recipient rejected|address rejected|"
    r"no mailbox|user not local|mailbox not found|undeliverable address",
    re.IGNORECASE,
)
_SENDER_PROBLEM = re.compile(
    r"authenticat|quota exceeded|sending limit|rate limit|too many messages|spam|"
    r"blocked|blacklist|blocklist|policy|unusual rate",
    re.IGNORECASE,
)


def enhanced_status(text: str) -> tuple[int, int, int] | None:
    """The RFC 3463 status code in a reply's text (`5.1.1`), if any."""
    match = _ENHANCED.search(text[:200])
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def smtp_reply_outcome(code: int, text: str) -> Outcome:
    """Classify one SMTP reply. Total: every input gets an answer."""
    if 200 <= code <= 299:
        return Outcome.SENT
    status = enhanced_status(text or "")
    subject = status[1] if status else None
    if code in (530, 534, 535, 538) or (status and status[:2] in ((5, 7), (4, 7))):
        return Outcome.MAILBOX
    if 400 <= code <= 499:
        return Outcome.TEMPORARY
    if 500 <= code <= 599:
        if subject == 1 or (
            subject is None and code in (550, 551, 553) and _UNKNOWN_USER.search(text)
        ):
            return Outcome.HARD_BOUNCE
        if status == (5, 4, 5) or (subject is None and _SENDER_PROBLEM.search(text)):
            return Outcome.MAILBOX
        if subject is None and code == 551:
            return Outcome.HARD_BOUNCE
        return Outcome.REJECTED
    # Not a valid SMTP reply code: the conversation went wrong, try again later.
    return Outcome.TEMPORARY
