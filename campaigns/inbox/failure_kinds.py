"""Whose fault a delivery failure is, read from its enhanced status code (RFC 3463) and its text.

Three sides, because each calls for a different act:
- **recipient**: the address is dead (unknown user, mailbox disabled, domain without mail
  servers). The address is suppressed, the lead marked bounced, and it counts in the campaign's
  bounce guard.
- **temporary**: the mailbox is full, the server greylists or throttles. Nothing is suppressed on
  the first; an address that keeps failing (TEMPORARY_LIMIT) is.
- **sender**: the receiving server refused *us* — our IP or domain is blocklisted, the content
  looked like spam, SPF/DKIM/DMARC failed, a 5.7.x policy, our sending rate. The lead is fine and
  is never suppressed; the refusal counts against the sending mailbox and domain
  (`campaigns/inbox/sender_refusals.py`), which are paused past a threshold, and the user is
  told what to fix. Each sender-side failure carries a cause (`Cause`) that names the fix.

The text wins over the code where they disagree the way real servers do: "550 5.1.1 … blocked
using zen.spamhaus.org" is a blocklist whatever its 5.1.1 says, and "552 5.2.2 mailbox full" is
temporary whatever its 5xx says. A failure with no code and no recognisable text keeps the side
its report gave it (permanent: recipient; else temporary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Side(StrEnum):
    RECIPIENT = "recipient"
    TEMPORARY = "temporary"
    SENDER = "sender"


class Cause(StrEnum):
    UNKNOWN_USER = "unknown_user"
    MAILBOX_DISABLED = "mailbox_disabled"
    NO_MAIL_DOMAIN = "no_mail_domain"
    MAILBOX_FULL = "mailbox_full"
    GREYLISTED = "greylisted"
    THROTTLED = "throttled"
    BLOCKLISTED = "blocklisted"
    SPAM_CONTENT = "spam_content"
    AUTHENTICATION = "authentication"
    POLICY = "policy"
    SENDING_RATE = "sending_rate"
    OTHER = "other"


SENDER_CAUSES = {
    Cause.BLOCKLISTED,
    Cause.SPAM_CONTENT,
    Cause.AUTHENTICATION,
    Cause.POLICY,
    Cause.SENDING_RATE,
}


@dataclass(frozen=True)
class Verdict:
    side: Side
    cause: Cause

    @property
    def suppresses_on_first(self) -> bool:
        return self.side is Side.RECIPIENT


CAUSE_LABELS = {
    Cause.UNKNOWN_USER: _("unknown address"),
    Cause.MAILBOX_DISABLED: _("mailbox disabled"),
    Cause.NO_MAIL_DOMAIN: _("domain takes no mail"),
    Cause.MAILBOX_FULL: _("mailbox full"),
    Cause.GREYLISTED: _("try again later"),
    Cause.THROTTLED: _("throttled"),
    Cause.BLOCKLISTED: _("blocklisted"),
    Cause.AUTHENTICATION: _("SPF, DKIM or DMARC failed"),
    Cause.SPAM_CONTENT: _("taken for spam"),
    Cause.POLICY: _("refused by policy"),
    Cause.SENDING_RATE: _("sending too fast"),
    Cause.OTHER: _("no reason given"),
}

FIXES = {
    Cause.BLOCKLISTED: _(
        "The receiving server says your sending IP address or domain is on a blocklist. Check "
        "the blocklist results on the domain's health page, ask your mail provider (or the list) "
        "to delist it, and send less until it is clear."
    ),
    Cause.AUTHENTICATION: _(
        "The receiving server could not authenticate your mail (SPF, DKIM or DMARC failed). "
        "Publish the records the domain's health page shows as missing or failing, then resume."
    ),
    Cause.SPAM_CONTENT: _(
        "The receiving server took your message for spam. Review the campaign's wording and "
        "links (fewer links, no link shorteners, no attachments) and check the domain's health."
    ),
    Cause.POLICY: _(
        "The receiving server's policy refused mail from this mailbox. Read its words below, "
        "and check the domain's health page for what it may have looked at."
    ),
    Cause.SENDING_RATE: _(
        "The receiving server says this mailbox sends too fast. Lower its daily and hourly "
        "limits, and spread the campaign over more mailboxes."
    ),
}


def cause_label(cause: str) -> str:
    return str(CAUSE_LABELS.get(cause, cause.replace("_", " ")))


STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_CODE = re.compile(r"(?<!\d)([45]\d\d)(?:[ -]|$)")


def _words(*patterns: str) -> re.Pattern:
    return re.compile("|".join(patterns), re.IGNORECASE)


# The sender-side causes, most specific first. Each pattern is what real servers write.
_SENDER_TEXT: list[tuple[Cause, re.Pattern]] = [
    (
        Cause.AUTHENTICATION,
        _words(
            r"\bspf\b",
            r"\bdkim\b",
            r"\bdmarc\b",
            r"unauthenticated",
            r"not authenticated",
            r"authentication (?:check )?fail",
            r"sender (?:domain )?authentication",
            r"domain(?:-based)? message authentication",
            r"reverse dns",
            r"\bptr record",
            r"sender policy framework",
            r"authentication level",
            r"required authentication",
            r"5\.7\.2[3-7]",
        ),
    ),
    (
        Cause.BLOCKLISTED,
        _words(
            r"spamhaus",
            r"spamcop",
            r"barracuda",
            r"sorbs",
            r"\bsurbl\b",
            r"\buribl\b",
            r"\brbl\b",
            r"\bdnsbl\b",
            r"black ?list",
            r"block ?list",
            r"blocklisted",
            r"listed (?:at|in|on|by)",
            r"poor reputation",
            r"(?:ip|sender|domain) reputation",
            r"bad reputation",
            r"banned sending ip",
            r"client host \S* ?blocked",
            r"blocked using",
            r"your ip .{0,40}(?:blocked|listed)",
            r"S3140",
            r"due to (?:user )?complaints",
            r"IP address has been blocked",
            r"access denied.{0,40}banned",
        ),
    ),
    (
        Cause.SPAM_CONTENT,
        _words(
            r"\bspam\b",
            r"junk mail",
            r"content (?:rejected|filter|restriction)",
            r"message content",
            r"suspicious",
            r"phishing",
            r"malware",
            r"virus",
            r"bulk mail",
            r"unsolicited",
            r"looks like spam",
            r"high probability of",
            r"message (?:was |is )?(?:considered|"
            r"classified|identified) as",
            r"\bUCE\b",
            r"score",
        ),
    ),
    (
        Cause.POLICY,
        _words(
            r"policy reasons",
            r"(?:due to|per|by|for) (?:local |our |the )?(?:security |sender )?policy",
            r"policy (?:violation|rejection)",
            r"not accepted for policy",
            r"relay(?:ing)? (?:access )?denied",
            r"not permitted to relay",
        ),
    ),
    (
        Cause.SENDING_RATE,
        _words(
            r"rate limit",
            r"too many (?:messages|mails|emails|connections|recipients)",
            r"sending rate",
            r"exceeded .{0,30}(?:limit|quota) .{0,30}(?:send|outbound)",
            r"sending (?:limit|quota)",
            r"daily (?:sending )?limit",
            r"throttl",
            r"unusual rate",
            r"try again later.{0,40}rate",
        ),
    ),
]

_RECIPIENT_TEXT: list[tuple[Cause, re.Pattern]] = [
    (
        Cause.NO_MAIL_DOMAIN,
        _words(
            r"host (?:or domain name )?not found",
            r"domain (?:not found|does not exist|"
            r"name not found)",
            r"no mx",
            r"no mail servers?",
            r"name service error",
            r"nxdomain",
            r"unrouteable (?:mail )?domain",
            r"no route to host for domain",
            r"domain .{0,40}(?:is not|isn.t) (?:valid|configured)",
            r"host unknown",
            r"no valid (?:mx|hosts)",
            r"unroutable address",
        ),
    ),
    (
        Cause.MAILBOX_DISABLED,
        _words(
            r"disabled",
            r"deactivated",
            r"inactive",
            r"suspended",
            r"account (?:has been |is )?"
            r"(?:closed|expired|locked|blocked)",
            r"no longer (?:active|in use|available|valid)",
            r"mailbox (?:has been )?(?:removed|deleted)",
            r"expired",
            r"closed",
        ),
    ),
    (
        Cause.UNKNOWN_USER,
        _words(
            r"user ?unknown",
            r"unknown (?:user|recipient|address|local)",
            r"no such (?:user|"
            r"mailbox|address|recipient)",
            r"does ?n[o']t exist",
            r"not exist",
            r"invalid (?:"
            r"recipient|mailbox|address|user)",
            r"recipient (?:address )?rejected",
            r"address rejected",
            r"mailbox (?:not found|unavailable|does not exist)",
            r"user not (?:found|local)",
            r"not our customer",
            r"unknown or illegal alias",
            r"no mailbox",
            r"bad destination mailbox",
            r"undeliverable address",
            r"couldn.t be found",
            r"could not be found",
            r"recipient not found",
            r"addressee unknown",
            r"not listed in",
            r"unrouteable address",
            r"doesn.t have a .{0,20}account",
            r"address (?:is )?invalid",
            r"no account",
            r"mailbox is unavailable",
            r"user invalid",
            r"unknown local part",
            r"RESOLVER\.ADR\.RecipNotFound",
            r"recipient unknown",
            r"user doesn.t exist",
        ),
    ),
]

_TEMPORARY_TEXT: list[tuple[Cause, re.Pattern]] = [
    (
        Cause.MAILBOX_FULL,
        _words(
            r"mailbox (?:is )?full",
            r"over ?quota",
            r"quota exceeded",
            r"exceeded (?:the )?"
            r"(?:storage|quota)",
            r"insufficient (?:system )?storage",
            r"out of storage",
            r"mailbox size limit",
            r"storage (?:space|allocation)",
            r"mail ?box (?:is )?"
            r"over",
            r"too much mail data",
            r"full mailbox",
        ),
    ),
    (Cause.GREYLISTED, _words(r"gr[ae]ylist", r"try (?:again )?later", r"please retry")),
    (Cause.THROTTLED, _words(r"rate limit", r"too many", r"throttl", r"temporarily deferred")),
]


def _first(table, text: str) -> Cause | None:
    return next((cause for cause, pattern in table if pattern.search(text)), None)


def failure_verdict(status: str, text: str, *, permanent: bool | None = None) -> Verdict:
    """The side and cause of one failure, from its status code ("5.1.1", or "" when none is
    known), its text (diagnostic code, the report's prose about it) and, as a last resort, what
    the report said (`permanent`: a failed Action / a permanent detector; None: unknown)."""
    text = text or ""
    match = STATUS.search(status or "") or STATUS.search(text)
    code = (int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None
    smtp = SMTP_CODE.search(text)
    klass = code[0] if code else int(smtp.group(1)[0]) if smtp else None
    if klass is None and permanent is not None:
        klass = 5 if permanent else 4

    sender = _first(_SENDER_TEXT, text)
    temporary = _first(_TEMPORARY_TEXT, text)
    recipient = _first(_RECIPIENT_TEXT, text)

    # A full mailbox is temporary, whatever class the server gave it (5.2.2 is 5xx).
    if code in {(4, 2, 2), (5, 2, 2)} or (temporary is Cause.MAILBOX_FULL and not sender):
        return Verdict(Side.TEMPORARY, Cause.MAILBOX_FULL)
    if code and code[1] == 7 and code[2] in {23, 24, 25, 26, 27}:  # SPF/DKIM/DMARC (RFC 7372)
        return Verdict(Side.SENDER, Cause.AUTHENTICATION)
    if sender and not (recipient is Cause.UNKNOWN_USER and sender is Cause.SPAM_CONTENT):
        if klass == 4 and sender is Cause.SENDING_RATE:
            return Verdict(Side.TEMPORARY, Cause.THROTTLED)
        return Verdict(Side.SENDER, sender)
    if klass == 4:
        return Verdict(Side.TEMPORARY, temporary or Cause.OTHER)
    if code and code[1] == 7:  # 5.7.x: a policy refusal of the sender, unless it says the user
        if recipient in {Cause.UNKNOWN_USER, Cause.MAILBOX_DISABLED} and code[2] == 1:
            return Verdict(Side.RECIPIENT, recipient)
        return Verdict(Side.SENDER, Cause.POLICY)
    if code and code[1] == 1:  # 5.1.x: addressing
        if code[2] in {2, 10}:
            return Verdict(Side.RECIPIENT, Cause.NO_MAIL_DOMAIN)
        return Verdict(Side.RECIPIENT, recipient or Cause.UNKNOWN_USER)
    if code and code[1] == 2 and code[2] == 1:
        return Verdict(Side.RECIPIENT, Cause.MAILBOX_DISABLED)
    if code and (code[1], code[2]) in {(4, 4), (4, 0)} and recipient is Cause.NO_MAIL_DOMAIN:
        return Verdict(Side.RECIPIENT, Cause.NO_MAIL_DOMAIN)
    if recipient:
        return Verdict(Side.RECIPIENT, recipient)
    if temporary and klass != 5:
        return Verdict(Side.TEMPORARY, temporary)
    if klass == 5:
        return Verdict(Side.RECIPIENT, Cause.OTHER)
    return Verdict(Side.TEMPORARY, temporary or Cause.OTHER)
