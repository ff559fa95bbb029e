"""Failed addresses in the prose of bounce reports that carry no machine-readable part.

Where a report has no message/delivery-status part and flufl.bounce's detectors know nothing of
its shape (DragonFly DMA, V5 sendmail, Lotus Notes/Domino, mFILTER, X1, KDDI/au and other
Japanese carriers, OpenSMTPD's and Zoho's texts), the address is in a sentence: "could not be
delivered to the following address", "<x@y>: 550 5.1.1 …", "User x@y not listed in Domino
Directory", "---- Transcript of session follows ---- … 550 <x@y>... User unknown". The reader
below scans the report's human-readable text up to the returned message, line by line, and keeps
an address when its line or the few after it say it failed, or when it follows a line announcing
the failed recipients. Its words (the line and the next ones) go with it for classification.

The addresses found are candidates only: the caller acts on one only when it is the recipient of
one of our messages (`campaigns/inbox/bounces.py`), so a postmaster or helpdesk address named in
the prose can never be suppressed.
"""

from __future__ import annotations

import re
from email.message import Message

from campaigns.inbox.failure_kinds import STATUS

ADDRESS = re.compile(r"(?<![\w.+-])[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+", re.ASCII)

# Where the returned message starts: nothing after it is about the failure.
_RETURNED = re.compile(
    r"^\s*(?:-{2,}\s*)?(?:original message|this is a copy of the message|below this line is a "
    r"copy|the original message (?:was|headers)|original message headers|"
    r"returned message|unsent message below|message headers follow|headers of the original|"
    r"--- ?(?:the )?header of the original message|the header of the original|"
    r"content-type: message/rfc822|\*\*\* ?original message|元のメッセージ|"
    r"以下.{0,10}(?:原文|メッセージ|ヘッダ))",
    re.IGNORECASE,
)

# A line that announces a list of failed recipients below it.
_ANNOUNCES = re.compile(
    r"(?:following (?:address|recipient|destination)|to the following|"
    r"failed recipients?|could not (?:be )?deliver|couldn.t be delivered|not (?:be )?delivered|"
    r"undeliverable|permanent(?:ly)? (?:error|fatal)|delivery (?:has )?failed|"
    r"did not reach|unable to deliver|delivery to the following|was not delivered to|"
    r"recipients? (?:did not|failed)|配信.{0,10}(?:失敗|できません)|宛先|送信できませんでした|"
    r"届きませんでした|unknown user|user unknown|error delivering)",
    re.IGNORECASE,
)

# Words that say, on the address's own line or right after it, that it failed.
_FAILED = re.compile(
    r"(?:\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b|unknown|not (?:found|exist|listed|delivered)|"
    r"rejected|refused|denied|invalid|does ?n.t exist|no such|failed|failure|undeliverable|"
    r"disabled|inactive|full|quota|blocked|blacklist|blocklist|spam|policy|expired|"
    r"unavailable|unreachable|not accepted|timed? ?out|deferred|delayed|host not|no mx|"
    r"existe|inconnu|unbekannt|desconocid|inesistente|存在しません|見つかりません|ユーザ)",
    re.IGNORECASE,
)

# Lines naming the sender or the report's own people, never a failed recipient.
_NOT_A_FAILURE = re.compile(
    r"^\s*(?:from|reply-to|sender|return-path|envelope-from|mail from|reporting-mta|received|"
    r"message-id|references|in-reply-to)\s*:|please contact|contact (?:your|the) "
    r"(?:postmaster|administrator|helpdesk|help desk)|for (?:more )?(?:help|information)|"
    r"sent by|this message was created automatically|reply to|message[- ]id",
    re.IGNORECASE,
)

# Phrases that say the failure is only a delay (a warning), not final.
_DELAYED = re.compile(
    r"(?:not yet been delivered|will (?:continue|keep) (?:trying|to try)|still trying|"
    r"delayed|deferred|temporar(?:y|ily)|will retry|retry (?:again|later)|warning: message)",
    re.IGNORECASE,
)

LOOK_AHEAD = 4  # lines after an address that may give its reason
ANNOUNCED_FOR = 8  # lines after an announcement in which an address is taken as failed


def prose_failures(text: str, parsed: Message | None = None):
    """(address, status, words, permanent) for each address the prose says failed, in order.
    `permanent` is None unless the text says (a delay warning: False)."""
    lines = text.replace("\r\n", "\n").split("\n")
    end = next((n for n, line in enumerate(lines) if _RETURNED.search(line)), len(lines))
    lines = lines[:end]
    delayed = bool(_DELAYED.search(" ".join(lines[:40]))) or _is_warning(parsed)
    announced_at = -(10**9)
    seen: set[str] = set()
    for n, line in enumerate(lines):
        if _ANNOUNCES.search(line):
            announced_at = n
        for match in ADDRESS.finditer(line):
            address = match.group(0).strip(".").lower()
            if address in seen or _NOT_A_FAILURE.search(line[: match.start()]):
                continue  # named as the sender, a contact, an id: not a failed recipient
            after = " ".join(x.strip() for x in lines[n : n + 1 + LOOK_AHEAD])
            own_line = line[match.end() :] + " " + " ".join(lines[n + 1 : n + 2])
            if not (_FAILED.search(own_line) or n - announced_at <= ANNOUNCED_FOR):
                continue
            seen.add(address)
            words = " ".join(after.split())[:1000]
            status = STATUS.search(words)
            yield (
                address,
                status.group(0) if status else "",
                words,
                False if delayed else None,
            )


def _is_warning(parsed: Message | None) -> bool:
    if parsed is None:
        return False
    subject = str(parsed.get("Subject", "")).lower()
    return any(
        word in subject for word in ("delayed", "delay", "warning", "not yet delivered")
    ) and not any(word in subject for word in ("failure", "failed", "undeliver", "returned"))
