"""Bounce reports in the shapes real MTAs and providers write them — our own messages, written
for these tests (no corpus copied in).

Each format is a function `(r: Returned) -> bytes` building one report about one returned
message: `r.recipient` failed with `r.case` (its SMTP reply and words), our message had
`r.message_id` and `r.subject`, and was sent from `r.sender`. `r.quote_headers=False` leaves the
returned headers out where the format allows. `labelled_reports()` crosses every format with
every case: the labelled set of the tests and of `bench/bounces.py`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Case:
    """One failure: what the receiving server answered, and whose fault it is."""

    name: str
    status: str  # enhanced status code
    reply: str  # the SMTP reply line as the receiving server wrote it
    side: str  # recipient | temporary | sender

    @property
    def words(self) -> str:
        return self.reply.split(" ", 2)[-1] if self.reply[:3].isdigit() else self.reply


CASES = [
    Case(
        "unknown_user",
        "5.1.1",
        "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
        "recipient",
    ),  # fmt: skip
    Case(
        "gmail_no_such",
        "5.1.1",
        "550 5.1.1 The email account that you tried to reach does not "
        "exist. Please try double-checking the recipient's email address",
        "recipient",
    ),  # fmt: skip
    Case(
        "disabled",
        "5.2.1",
        "550 5.2.1 The email account that you tried to reach is disabled.",
        "recipient",
    ),  # fmt: skip
    Case(
        "no_domain",
        "5.1.2",
        "550 5.1.2 Host or domain name not found. Name service error for "
        "name=nowhere.example type=MX: Host not found",
        "recipient",
    ),  # fmt: skip
    Case(
        "o365_not_found",
        "5.1.10",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "recipient",
    ),  # fmt: skip
    Case("no_such_user", "5.0.0", "550 5.0.0 No such user here", "recipient"),
    Case(
        "over_quota",
        "4.2.2",
        "452 4.2.2 The email account that you tried to reach is over quota.",
        "temporary",
    ),  # fmt: skip
    Case(
        "mailbox_full",
        "5.2.2",
        "552 5.2.2 Mailbox full: message would exceed the storage allocation",
        "temporary",
    ),  # fmt: skip
    Case(
        "greylisted",
        "4.7.1",
        "450 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted for 5 minutes, please retry",
        "temporary",
    ),  # fmt: skip
    Case("timeout", "4.4.1", "421 4.4.1 Connection timed out, will retry later", "temporary"),
    Case(
        "spamhaus",
        "5.7.1",
        "554 5.7.1 Service unavailable; Client host [203.0.113.9] blocked using zen.spamhaus.org",
        "sender",
    ),  # fmt: skip
    Case(
        "unauthenticated",
        "5.7.26",
        "550 5.7.26 This mail is unauthenticated, which poses a "
        "security risk to the sender and recipients. The sender must authenticate with SPF or "
        "DKIM.",
        "sender",
    ),  # fmt: skip
    Case(
        "dmarc", "5.7.1", "550 5.7.1 Email rejected per DMARC policy for acme.example", "sender"
    ),  # fmt: skip
    Case(
        "likely_spam",
        "5.7.1",
        "550 5.7.1 [203.0.113.9] Our system has detected that this "
        "message is likely unsolicited mail and has been blocked.",
        "sender",
    ),  # fmt: skip
    Case(
        "s3140",
        "5.7.1",
        "550 5.7.1 Unfortunately, messages from [203.0.113.9] weren't sent. "
        "Part of their network is on our block list (S3140).",
        "sender",
    ),  # fmt: skip
    Case(
        "banned_ip",
        "5.7.606",
        "550 5.7.606 Access denied, banned sending IP [203.0.113.9]",
        "sender",
    ),  # fmt: skip
    Case("policy", "5.7.9", "554 5.7.9 Message not accepted for policy reasons.", "sender"),
    Case("sending_rate", "5.4.5", "550 5.4.5 Daily user sending quota exceeded.", "sender"),
]
CASES_BY_NAME = {case.name: case for case in CASES}


@dataclass(frozen=True)
class Returned:
    recipient: str
    message_id: str
    subject: str = "Idea for Lena"
    sender: str = "sender@acme.example"
    case: Case = CASES[0]
    quote_headers: bool = True
    serial: int = 0

    @property
    def reply(self) -> str:
        return self.case.reply.format(rcpt=self.recipient)

    @property
    def code(self) -> str:
        return self.reply[:3]

    @property
    def temporary(self) -> bool:
        return self.case.side == "temporary" and self.reply[0] == "4"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _returned_headers(r: Returned) -> str:
    return (
        f"From: Alice from Acme <{r.sender}>\n"
        f"To: {r.recipient}\n"
        f"Subject: {r.subject}\n"
        f"Date: Tue, 24 Nov 2026 11:00:00 +0000\n"
        f"Message-ID: {r.message_id}\n"
        f"MIME-Version: 1.0\n"
        f"Content-Type: text/html; charset=utf-8\n"
    )


def _returned_message(r: Returned) -> str:
    return _returned_headers(r) + "\n<p>Hi Lena</p>\n"


def _dsn_block(r: Returned, *, mta: str, original: bool = True) -> str:
    action = "delayed" if r.temporary else "failed"
    lines = [f"Final-Recipient: rfc822; {r.recipient}"]
    if original:
        lines.append(f"Original-Recipient: rfc822;{r.recipient}")
    lines += [
        f"Action: {action}",
        f"Status: {r.case.status}",
        f"Remote-MTA: dns; {mta}",
        f"Diagnostic-Code: smtp; {r.reply}",
    ]
    return "\n".join(lines)


def _multipart_report(
    r: Returned, *, head: str, human: str, dsn: str, returned: str = "rfc822", boundary="B0UND"
) -> bytes:
    parts = [
        f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{human}\n",
        f"--{boundary}\nContent-Type: message/delivery-status\n\n{dsn}\n",
    ]
    if r.quote_headers and returned == "rfc822":
        parts.append(f"--{boundary}\nContent-Type: message/rfc822\n\n{_returned_message(r)}\n")
    elif r.quote_headers:
        parts.append(f"--{boundary}\nContent-Type: text/rfc822-headers\n\n{_returned_headers(r)}\n")
    return _crlf(
        f"{head}MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
        f'\tboundary="{boundary}"\n\nThis is a MIME-encapsulated message.\n\n'
        + "".join(parts)
        + f"--{boundary}--\n"
    )


def _head(r: Returned, *, sender: str, subject: str, mid: str, extra: str = "") -> str:
    return (
        f"Return-Path: <>\nFrom: {sender}\nTo: {r.sender}\nSubject: {subject}\n"
        f"Date: Tue, 24 Nov 2026 11:01:{r.serial % 60:02d} +0000\n"
        f"Message-ID: <{mid}.{r.serial}@bounce.example>\n{extra}"
    )


# --- the formats --------------------------------------------------------------------------------


def rfc3464(r: Returned) -> bytes:
    head = _head(r, sender="Mail Delivery Subsystem <MAILER-DAEMON@mx.relay.example>",
                 subject="Returned mail: delivery failed", mid="dsn")  # fmt: skip
    human = f"Delivery to the following recipient failed:\n\n    {r.recipient}\n"
    dsn = "Reporting-MTA: dns; mx.relay.example\n\n" + _dsn_block(r, mta="mx.x.example")
    return _multipart_report(r, head=head, human=human, dsn=dsn)


def postfix(r: Returned) -> bytes:
    head = _head(r, sender="MAILER-DAEMON@mx.acme.example (Mail Delivery System)",
                 subject="Undelivered Mail Returned to Sender" if not r.temporary
                 else "Delayed Mail (still being retried)", mid="postfix",
                 extra="Auto-Submitted: auto-replied\n")  # fmt: skip
    human = (
        "This is the mail system at host mx.acme.example.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{r.recipient}>: host mx.x.example[198.51.100.7] said: {r.reply} (in reply\n"
        "    to RCPT TO command)\n"
    )
    dsn = "Reporting-MTA: dns; mx.acme.example\nX-Postfix-Queue-ID: 8B2C61E0A3\n\n" + _dsn_block(
        r, mta="mx.x.example"
    )
    return _multipart_report(r, head=head, human=human, dsn=dsn, returned="headers")


def exim(r: Returned) -> bytes:
    copy = (
        "------ This is a copy of the message, including all the headers. ------\n\n"
        + _returned_message(r)
        if r.quote_headers
        else "------ The body of the message is 1024 characters long; only the first\n"
        "------ 0 or so are included here.\n"
    )
    return _crlf(
        _head(r, sender="Mail Delivery System <Mailer-Daemon@mx2.acme.example>",
              subject="Mail delivery failed: returning message to sender", mid="exim",
              extra=f"X-Failed-Recipients: {r.recipient}\nAuto-Submitted: auto-replied\n")
        + "\nThis message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        f"  {r.recipient}\n    host mx.x.example [198.51.100.7]\n"
        f"    SMTP error from remote mail server after RCPT TO:<{r.recipient}>:\n"
        f"    {r.reply}\n\n" + copy
    )  # fmt: skip


def sendmail(r: Returned) -> bytes:
    head = _head(r, sender="Mail Delivery Subsystem <MAILER-DAEMON@smtp.acme.example>",
                 subject="Returned mail: see transcript for details", mid="sendmail")  # fmt: skip
    human = (
        "The original message was received at Tue, 24 Nov 2026 11:00:00 GMT\n"
        "from localhost [127.0.0.1]\n\n"
        "   ----- The following addresses had permanent fatal errors -----\n"
        f"<{r.recipient}>\n    (reason: {r.reply})\n\n"
        "   ----- Transcript of session follows -----\n"
        f"... while talking to mx.x.example.:\n>>> DATA\n<<< {r.reply}\n"
    )
    dsn = (
        "Reporting-MTA: dns; smtp.acme.example\nReceived-From-MTA: DNS; localhost\n\n"
        + _dsn_block(r, mta="mx.x.example", original=False)
    )
    return _multipart_report(r, head=head, human=human, dsn=dsn)


def sendmail_v5(r: Returned) -> bytes:
    """Sendmail V5 and its kin: no MIME, the transcript, then the unsent message."""
    copy = (
        "   ----- Unsent message follows -----\n" + _returned_message(r) if r.quote_headers else ""
    )
    return _crlf(
        _head(r, sender="Mail Delivery Subsystem <MAILER-DAEMON@old.acme.example>",
              subject="Returned mail: User unknown", mid="v5")
        + "\n   ----- Transcript of session follows -----\n"
        f"While talking to mx.x.example:\n>>> RCPT To:<{r.recipient}>\n<<< {r.reply}\n"
        f"{r.code} <{r.recipient}>... {r.case.words}\n\n" + copy
    )  # fmt: skip


def qmail(r: Returned) -> bytes:
    copy = "--- Below this line is a copy of the message.\n\n" + _returned_message(r)
    return _crlf(
        _head(r, sender="MAILER-DAEMON@qmail.acme.example", subject="failure notice", mid="qmail")
        + "\nHi. This is the qmail-send program at qmail.acme.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<{r.recipient}>:\n198.51.100.7 does not like recipient.\nRemote host said: {r.reply}\n"
        "Giving up on 198.51.100.7.\n\n" + (copy if r.quote_headers else "")
    )


def exchange(r: Returned) -> bytes:
    """Exchange Online / Office 365 NDR: a prose part, the DSN, the returned headers."""
    head = _head(r, sender="Microsoft Outlook <postmaster@acme.onmicrosoft.example>",
                 subject=f"Undeliverable: {r.subject}", mid="o365",
                 extra="X-MS-Exchange-Message-Is-Ndr:\nAuto-Submitted: auto-replied\n")  # fmt: skip
    human = (
        f"Your message to {r.recipient} couldn't be delivered.\n\n"
        f"{r.recipient.split('@')[0]}\nOffice 365\n\nAction Required\n\n"
        "Diagnostic information for administrators:\n\n"
        "Generating server: AM0PR07MB1234.eurprd07\n\n"
        f"{r.recipient}\nRemote server returned '{r.reply}'\n"
    )
    dsn = "Reporting-MTA: dns;AM0PR07MB1234.eurprd07.prod.outlook.example\n\n" + _dsn_block(
        r, mta="mx.x.example"
    )
    return _multipart_report(r, head=head, human=human, dsn=dsn, returned="headers")


def exchange_legacy(r: Returned) -> bytes:
    """Exchange 2003-style NDR: no DSN, the recipient on a line with the date."""
    copy = "\n\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="System Administrator <postmaster@ex.x.example>",
              subject=f"Undeliverable: {r.subject}", mid="ex2003")
        + "\nYour message did not reach some or all of the intended recipients.\n\n"
        f"      Subject:\t{r.subject}\n      Sent:\t24/11/2026 11:00\n\n"
        "The following recipient(s) cannot be reached:\n\n"
        f"      {r.recipient} on 24/11/2026 11:01\n"
        f"            {r.case.words}\n            <ex.x.example #{r.case.status}>\n" + copy
    )  # fmt: skip


def gmail(r: Returned) -> bytes:
    head = _head(r, sender="Mail Delivery Subsystem <mailer-daemon@googlemail.example>",
                 subject="Delivery Status Notification (Failure)" if not r.temporary
                 else "Delivery Status Notification (Delay)", mid="gmail",
                 extra=f"In-Reply-To: {r.message_id}\nReferences: {r.message_id}\n"
                 "Auto-Submitted: auto-replied\n")  # fmt: skip
    human = (
        f"** Address not found **\n\nYour message wasn't delivered to {r.recipient}.\n\n"
        f"The response from the remote server was:\n{r.reply}\n"
    )
    dsn = "Reporting-MTA: dns; googlemail.example\n\n" + _dsn_block(r, mta="mx.x.example")
    return _multipart_report(r, head=head, human=human, dsn=dsn, returned="headers")


def yahoo(r: Returned) -> bytes:
    copy = "--- Below this line is a copy of the message.\n\n" + _returned_message(r)
    return _crlf(
        _head(r, sender="MAILER-DAEMON@yahoo.example", subject="Failure Notice", mid="yahoo")
        + "\nSorry, we were unable to deliver your message to the following address.\n\n"
        f"<{r.recipient}>:\nRemote host said: {r.reply} [RCPT_TO]\n\n"
        + (copy if r.quote_headers else "")
    )


def zoho(r: Returned) -> bytes:
    """Zoho's text names the returned Message-ID and our own address near the failed one."""
    copy = "\nReceived: from acme.example\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="mailer-daemon@mail.zoho.example", subject="Undelivered Mail Returned "
              "to Sender", mid="zoho", extra=f"X-ZohoMail-Sender: {r.sender}\n")
        + "\nThis message was created automatically by mail delivery software.\n"
        "A message that you sent could not be delivered to one or more of its recipients.\n"
        "This is a permanent error.\n\n"
        f"{r.recipient}, ERROR CODE :{r.code} - {r.case.words}\n\n"
        f"Message ID: {r.message_id}\nSent by: {r.sender}\nReceived for: {r.recipient}\n"
        + copy
    )  # fmt: skip


def amazon_ses(r: Returned) -> bytes:
    head = _head(r, sender="MAILER-DAEMON@amazonses.example", subject="Delivery Status "
                 "Notification (Failure)", mid="ses",
                 extra="X-Original-Message-ID: " + r.message_id + "\n")  # fmt: skip
    human = (
        "An error occurred while trying to deliver the mail to the following recipients:\n"
        f"{r.recipient}\n"
    )
    dsn = (
        "Reporting-MTA: dns; a8-12.smtp-out.amazonses.example\n\n"
        + _dsn_block(r, mta="mx.x.example")
        + "\nX-SES-Feedback: bounce"
    )
    return _multipart_report(r, head=head, human=human, dsn=dsn)


def amazon_workmail(r: Returned) -> bytes:
    head = _head(r, sender="MAILER-DAEMON@us-east-1.awsapps.example", subject="Delivery Status "
                 "Notification (Failure)", mid="workmail",
                 extra="X-Mailer: Amazon WorkMail\n")  # fmt: skip
    human = (
        "We're writing to let you know that the group you tried to contact or the recipient\n"
        "could not be reached. Delivery to the following recipients failed permanently:\n\n"
        f"{r.recipient}\n\nTechnical report:\n{r.reply}\n"
    )
    dsn = "Reporting-MTA: dns; workmail.us-east-1.amazonaws.example\n\n" + _dsn_block(
        r, mta="mx.x.example", original=False
    ).replace(f"Final-Recipient: rfc822; {r.recipient}", f"Final-Recipient: RFC822; {r.recipient}")
    return _multipart_report(r, head=head, human=human, dsn=dsn)


def opensmtpd(r: Returned) -> bytes:
    copy = "Below is a copy of the original message:\n\n" + _returned_message(r)
    return _crlf(
        _head(r, sender="Mailer Daemon <MAILER-DAEMON@smtpd.acme.example>",
              subject="Delivery status notification: error", mid="opensmtpd")
        + "\nHi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
        "An error has occurred while attempting to deliver a message for\n"
        "the following list of recipients:\n\n"
        f"{r.recipient}: {r.reply}\n\n" + (copy if r.quote_headers else "")
    )  # fmt: skip


def dragonfly_dma(r: Returned) -> bytes:
    copy = "Message headers follow.\n\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="MAILER-DAEMON@dfly.acme.example", subject="Mail delivery failed",
              mid="dma")
        + "\nThis is the DragonFly Mail Agent v0.13 at dfly.acme.example.\n\n"
        f"There was an error delivering your mail to <{r.recipient}>.\n\n"
        f"remote delivery failed: mx.x.example [198.51.100.7] said: {r.reply}\n\n" + copy
    )  # fmt: skip


def lotus_notes(r: Returned) -> bytes:
    copy = "\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="Mail Router <Postmaster@notes.x.example>",
              subject=f"DELIVERY FAILURE: {r.case.words[:40]}", mid="notes")
        + f"\nYour message\n\n  Subject: {r.subject}\n\nwas not delivered to:\n\n"
        f"  {r.recipient}\n\nbecause:\n\n  {r.reply}\n" + copy
    )  # fmt: skip


def mfilter(r: Returned) -> bytes:
    copy = "\n-------元のメッセージ\n" + _returned_headers(r) if r.quote_headers else ""
    text = (
        "このメールは「m-FILTER」が自動的に発行しています。\n\n"
        "宛先のメールサーバーに配信できませんでした。\n\n"
        "=====エラーの詳細=====\n"
        f"宛先: {r.recipient}\n"
        f"ステータス: {r.reply}\n" + copy
    )
    body = base64.encodebytes(text.encode("iso-2022-jp", "replace")).decode()
    return _crlf(
        _head(r, sender="postmaster@mfilter.x.example", subject="=?ISO-2022-JP?B?"
              + base64.b64encode("配信エラー".encode("iso-2022-jp")).decode() + "?=",
              mid="mfilter")
        + "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n"
        "Content-Transfer-Encoding: base64\n\n" + body
    )  # fmt: skip


def x1(r: Returned) -> bytes:
    copy = "\n\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="MAILER-DAEMON@x1.x.example", subject="Returned Mail: Error During "
              "Delivery", mid="x1")
        + "\nThe following recipients did not receive this message:\n\n"
        f"     <{r.recipient}>\n\n{r.reply}\n\nPlease reply to <postmaster@x1.x.example> "
        "if you feel this message to be in error." + copy
    )  # fmt: skip


def kddi_au(r: Returned) -> bytes:
    copy = "\n" + _returned_headers(r) if r.quote_headers else ""
    return _crlf(
        _head(r, sender="Postmaster@ezweb.example", subject="Mail System Error - Returned Mail",
              mid="kddi")
        + "\nYour mail sent on: Tue, 24 Nov 2026 20:00:00 +0900\n"
        "      could not be delivered to the following address(es):\n"
        f"    <{r.recipient}>\n        ({r.reply})\n" + copy
    )  # fmt: skip


FORMATS = {
    "rfc3464": rfc3464,
    "postfix": postfix,
    "exim": exim,
    "sendmail": sendmail,
    "sendmail_v5": sendmail_v5,
    "qmail": qmail,
    "exchange": exchange,
    "exchange_legacy": exchange_legacy,
    "gmail": gmail,
    "yahoo": yahoo,
    "zoho": zoho,
    "amazon_ses": amazon_ses,
    "amazon_workmail": amazon_workmail,
    "opensmtpd": opensmtpd,
    "dragonfly_dma": dragonfly_dma,
    "lotus_notes": lotus_notes,
    "mfilter": mfilter,
    "x1": x1,
    "kddi_au": kddi_au,
}


@dataclass(frozen=True)
class Labelled:
    format: str
    returned: Returned
    raw: bytes


def labelled_reports(
    recipient_of, *, quote_headers=(True, False), cases=CASES, formats=FORMATS
) -> list[Labelled]:
    """Every format × every case × with/without the returned headers; `recipient_of(n)` gives
    the (recipient, message_id) of the n-th report's message."""
    out = []
    n = 0
    for name, build in formats.items():
        for case in cases:
            for quoted in quote_headers:
                recipient, message_id = recipient_of(n)
                returned = Returned(
                    recipient, message_id, case=case, quote_headers=quoted, serial=n
                )
                out.append(Labelled(name, returned, build(returned)))
                n += 1
    return out


def with_case(r: Returned, name: str) -> Returned:
    return replace(r, case=CASES_BY_NAME[name])


# --- spam complaints (feedback loops) -----------------------------------------------------------


def _arf(r: Returned, *, sender: str, ua: str, rcpt_field: bool, returned: str, to: str = "",
         top: str = "multipart/report; report-type=feedback-report") -> bytes:  # fmt: skip
    to = to or r.recipient
    rcpt = f"Original-Rcpt-To: {r.recipient}\n" if rcpt_field else ""
    enclosed = (
        f"From: Alice from Acme <{r.sender}>\nTo: {to}\nSubject: {r.subject}\n"
        f"Message-ID: {r.message_id}\nDate: Tue, 24 Nov 2026 11:00:00 +0000\n"
    )
    part = "message/rfc822" if returned == "rfc822" else "text/rfc822-headers"
    body = enclosed + ("\n<p>Hi Lena</p>\n" if returned == "rfc822" else "")
    return _crlf(
        f"From: {sender}\nTo: {r.sender}\nSubject: FW: {r.subject}\n"
        f"Message-ID: <fbl-{r.serial}@fbl.example>\nDate: Tue, 24 Nov 2026 15:00:00 +0000\n"
        f'MIME-Version: 1.0\nContent-Type: {top};\n\tboundary="ARF"\n\n'
        "--ARF\nContent-Type: text/plain\n\nThis is an email abuse report for an email message "
        "received from IP 203.0.113.9.\n\n"
        "--ARF\nContent-Type: message/feedback-report\n\n"
        f"Feedback-Type: abuse\nUser-Agent: {ua}\nVersion: 1\n"
        f"Original-Mail-From: <{r.sender}>\n{rcpt}Arrival-Date: Tue, 24 Nov 2026 11:01:00 +0000\n"
        "Source-IP: 203.0.113.9\n\n"
        f"--ARF\nContent-Type: {part}\n\n{body}\n--ARF--\n"
    )


def yahoo_arf(r):
    return _arf(r, sender="feedbackloop@yahoo.example", ua="Yahoo!-Mail-Feedback/2.0",
                rcpt_field=False, returned="rfc822")  # fmt: skip


def aol_arf(r):
    """AOL redacts the complaining recipient; the Message-ID still names our message."""
    return _arf(r, sender="scomp@aol.example", ua="AOL SComp", rcpt_field=False,
                returned="rfc822", to="redacted@aol.example")  # fmt: skip


def comcast_arf(r):
    return _arf(r, sender="feedback@comcast.example", ua="Comcast FBL", rcpt_field=True,
                returned="headers")  # fmt: skip


def yandex_arf(r):
    return _arf(r, sender="fbl-noreply@yandex.example", ua="Yandex FBL", rcpt_field=True,
                returned="rfc822")  # fmt: skip


def mailru_arf(r):
    """Mail.ru's loop wraps the ARF parts in multipart/mixed."""
    return _arf(r, sender="fbl@corp.mail.example", ua="Mail.Ru FBL", rcpt_field=False,
                returned="rfc822", top="multipart/mixed")  # fmt: skip


def microsoft_jmrp(r):
    """Microsoft's JMRP: the message attached, its recipient in X-HmXmrOriginalRecipient."""
    return _crlf(
        f"From: staff@hotmail.example\nTo: {r.sender}\nSubject: complaint about message from "
        f"203.0.113.9\nMessage-ID: <jmrp-{r.serial}@hotmail.example>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="JMRP"\n\n'
        "--JMRP\nContent-Type: text/plain\n\nThis is a spam report for a message you sent.\n\n"
        "--JMRP\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n"
        f"X-HmXmrOriginalRecipient: <{r.recipient}>\nFrom: Alice from Acme <{r.sender}>\n"
        f"To: {r.recipient}\nSubject: {r.subject}\nMessage-ID: {r.message_id}\n\n<p>Hi</p>\n"
        "--JMRP--\n"
    )


COMPLAINT_FORMATS = {
    "yahoo": yahoo_arf,
    "aol": aol_arf,
    "comcast": comcast_arf,
    "yandex": yandex_arf,
    "mailru": mailru_arf,
    "microsoft_jmrp": microsoft_jmrp,
}


# --- round 2: written after the detectors, scored once on first sight (docs/BENCHMARKS.md) ------

CASES_ROUND2 = [
    Case("sendmail_unknown", "5.1.1", "550 5.1.1 <{rcpt}>... User unknown", "recipient"),
    Case(
        "gmail_dash",
        "5.1.1",
        "550-5.1.1 The email account that you tried to reach does not exist. Please try",
        "recipient",
    ),  # fmt: skip
    Case(
        "unavailable", "5.0.0", "550 Requested action not taken: mailbox unavailable", "recipient"
    ),  # fmt: skip
    Case(
        "chkuser",
        "5.1.1",
        "511 sorry, no mailbox here by that name (#5.1.1 - chkuser)",
        "recipient",
    ),  # fmt: skip
    Case(
        "o365_dbeb",
        "5.4.1",
        "550 5.4.1 Recipient address rejected: Access denied. "
        "AS(201806281) [AM0PR07MB1234.eurprd07.prod.outlook.example]",
        "recipient",
    ),  # fmt: skip
    Case(
        "yahoo_dd",
        "5.0.0",
        "554 delivery error: dd This user doesn't have a yahoo.example "
        "account ({rcpt}) [0] - mta1004.mail.example",
        "recipient",
    ),  # fmt: skip
    Case(
        "receiving_rate",
        "4.2.1",
        "450 4.2.1 The user you are trying to contact is receiving "
        "mail at a rate that prevents additional messages from being delivered.",
        "temporary",
    ),  # fmt: skip
    Case(
        "try_later",
        "4.3.0",
        "451 4.3.0 Temporary local problem, please try again later",
        "temporary",
    ),  # fmt: skip
    Case("quota_552", "5.2.2", "552 5.2.2 <{rcpt}>: user is over quota", "temporary"),
    Case("content", "5.7.1", "550 5.7.1 Message rejected due to content restrictions", "sender"),
    Case(
        "hotmail_sc001",
        "5.7.1",
        "550 SC-001 (BAY004-MC1F12) Unfortunately, messages from "
        "203.0.113.9 weren't sent. Please contact your Internet service provider since part of "
        "their network is on our block list.",
        "sender",
    ),  # fmt: skip
    Case(
        "yahoo_bl21",
        "5.7.1",
        "553 5.7.1 [BL21] Connections will not be accepted from "
        "203.0.113.9, because the ip is in Spamhaus's list",
        "sender",
    ),  # fmt: skip
    Case(
        "o365_515",
        "5.7.515",
        "550 5.7.515 Access denied, sending domain acme.example doesn't "
        "meet the required authentication level.",
        "sender",
    ),  # fmt: skip
    Case(
        "o365_350",
        "5.7.350",
        "550 5.7.350 Remote server returned message detected as spam",
        "sender",
    ),  # fmt: skip
    Case(
        "o365_ip_rate",
        "4.7.650",
        "451 4.7.650 The mail server [203.0.113.9] has been "
        "temporarily rate limited due to IP reputation.",
        "sender",
    ),  # fmt: skip
    Case(
        "yahoo_ipts04",
        "4.7.0",
        "421 4.7.0 [IPTS04] Messages from 203.0.113.9 temporarily deferred due to user complaints",
        "sender",
    ),  # fmt: skip
]
