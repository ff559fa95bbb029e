"""Demo leads that answer: real mail into the demo mailbox, read back by the real IMAP sync.

A development install's demo leads live on `.example` domains, so nobody ever answers them.
`demo_reply_send` writes the answer a lead (or the lead's mail server) would send to one of the
campaign's messages — interested, out of the office until a date, asking to be removed, or a
bounce (a real RFC 3464 delivery status notification from the "receiving" server) — and hands
it to the local mail catcher over SMTP, addressed to the sending mailbox. The catcher delivers
mail for `.localhost` addresses into its IMAP mailbox (postigo/mailcatcher.py), so the inbox,
the labels, stop-on-reply, the out-of-office pause and the bounce guard all happen through the
code paths real mail takes. An inbox sync of that mailbox is queued at once (beat would run it
within two minutes anyway).

Development only: the views offering it exist with DEBUG on (postigo/urls.py), for this machine.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import smtplib
import uuid
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import OutboundMessage
from campaigns.tasks import sync_inbox
from postigo.mailcatcher import is_local

OUT_OF_OFFICE_DAYS = 5  # the demo lead is back this many days after the reply


class DemoReply(models.TextChoices):
    INTERESTED = "interested", _("Interested")
    OUT_OF_OFFICE = "out_of_office", _("Out of office")
    UNSUBSCRIBE = "unsubscribe", _("Asks to be removed")
    BOUNCE = "bounce", _("Bounce")


class DemoReplyError(Exception):
    """The message cannot be answered in the demo (said to the user as it is)."""


def demo_reply_possible(message: OutboundMessage) -> bool:
    """Only messages sent from a mailbox the catcher delivers to, so the answer is read back."""
    mailbox = message.mailbox
    return (
        message.state == OutboundMessage.State.SENT
        and bool(message.message_id)
        and is_local(mailbox.email)
        and mailbox.smtp_host == "127.0.0.1"
        and bool(mailbox.imap_host)
    )


def demo_reply_send(*, message: OutboundMessage, kind: str) -> EmailMessage:
    """Mail the answer of `kind` to `message` through the catcher; returns what was sent."""
    if kind not in DemoReply.values:
        raise DemoReplyError(_("Unknown kind of reply."))
    if not demo_reply_possible(message):
        raise DemoReplyError(
            _("Only sent messages of a mailbox on the local mail catcher can be answered.")
        )
    now = timezone.now()
    mail = _BUILDERS[kind](message, now)
    envelope_from = "" if kind == DemoReply.BOUNCE else message.recipient
    with smtplib.SMTP("127.0.0.1", settings.MAIL_CATCHER_PORT, timeout=10) as smtp:
        smtp.send_message(mail, from_addr=envelope_from, to_addrs=[message.mailbox.email])
    transaction.on_commit(lambda: sync_inbox.delay(message.mailbox_id))
    return mail


def _answer(message: OutboundMessage, now: datetime.datetime) -> EmailMessage:
    """A reply in the thread: the lead's address, "Re:" and In-Reply-To/References."""
    mail = EmailMessage()
    mail["From"] = message.recipient
    mail["To"] = message.mailbox.email
    subject = message.subject or ""
    mail["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = make_msgid(domain=message.recipient.rpartition("@")[2])
    mail["In-Reply-To"] = message.message_id
    mail["References"] = message.message_id
    return mail


def _quote(message: OutboundMessage) -> str:
    return f"\n\nOn {message.sent_at:%a, %d %b %Y %H:%M}, {message.mailbox.email} wrote:\n> …\n"


def _interested(message: OutboundMessage, now: datetime.datetime) -> EmailMessage:
    mail = _answer(message, now)
    mail.set_content(
        "Sounds interesting, can we talk on Thursday? Any time after 10:00 works for me."
        + _quote(message)
    )
    return mail


def _out_of_office(message: OutboundMessage, now: datetime.datetime) -> EmailMessage:
    mail = _answer(message, now)
    back = (now + datetime.timedelta(days=OUT_OF_OFFICE_DAYS)).date()
    mail.replace_header("Subject", f"Out of office: {message.subject}")
    mail["Auto-Submitted"] = "auto-replied"
    mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(
        f"I am out of the office with limited access to email, back on {back.day}"
        f" {back:%B %Y}. I will answer when I return."
    )
    return mail


def _unsubscribe(message: OutboundMessage, now: datetime.datetime) -> EmailMessage:
    mail = _answer(message, now)
    mail.set_content("Please remove me from your list." + _quote(message))
    return mail


def _bounce(message: OutboundMessage, now: datetime.datetime) -> EmailMessage:
    """The lead's server saying the address does not exist: an RFC 3464 DSN, as Postfix words it."""
    domain = message.recipient.rpartition("@")[2]
    boundary = f"{uuid.uuid4().hex}/mx.{domain}"
    report = f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.{domain}>
To: {message.mailbox.email}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(now)}
Message-ID: {make_msgid(domain=f"mx.{domain}")}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.{domain}.

Your message could not be delivered to one or more recipients.

<{message.recipient}>: host mx.{domain} said: 550 5.1.1 <{message.recipient}>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.{domain}

Final-Recipient: rfc822; {message.recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <{message.recipient}>: Recipient address rejected:
    User unknown

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: {message.mailbox.email}
To: {message.recipient}
Subject: {Header(message.subject, "utf-8").encode()}
Message-ID: {message.message_id}

--{boundary}--
"""
    return email.message_from_string(report, policy=email.policy.SMTP)


_BUILDERS = {
    DemoReply.INTERESTED: _interested,
    DemoReply.OUT_OF_OFFICE: _out_of_office,
    DemoReply.UNSUBSCRIBE: _unsubscribe,
    DemoReply.BOUNCE: _bounce,
}
