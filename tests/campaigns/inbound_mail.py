"""Realistic incoming mail, written the way the big clients and MTAs write it.

Each builder takes the message we sent (its Message-ID, recipient, subject) and returns raw bytes
with CRLF line ends, as an IMAP server stores them.
"""

from __future__ import annotations

import re

from campaigns.inbox.receive import JUDGED_ON

# One header field with its continuation lines; group 1 its name.
HEADER = re.compile(rb"^([A-Za-z-]+):[^\r\n]*(?:\r\n[ \t][^\r\n]*)*", re.M)


def judged_headers(raw: bytes) -> bytes:
    """What the sync fetches to judge a mail (BODY.PEEK[HEADER.FIELDS (JUDGED_ON)]): those
    fields of its header, continuation lines included, as the IMAP server returns them."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = {name.lower().encode() for name in JUDGED_ON}
    kept = [m.group(0) for m in HEADER.finditer(head) if m.group(1).lower() in names]
    return b"".join(line + b"\r\n" for line in kept) + b"\r\n"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def gmail_reply(sent, *, body="Sounds interesting, can we talk on Thursday?") -> bytes:
    return _crlf(f"""\
Return-Path: <{sent.recipient}>
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])
	by mx.acme.example with ESMTPS id 4c2f; Tue, 24 Nov 2026 11:02:13 +0000
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=x.example; s=20230601; h=to:subject
MIME-Version: 1.0
References: {sent.message_id}
In-Reply-To: {sent.message_id}
From: Lena Vogel <{sent.recipient}>
Date: Tue, 24 Nov 2026 12:02:01 +0100
Message-ID: <CAF=gmail{sent.pk}x@mail.gmail.com>
Subject: Re: {sent.subject}
To: Alice from Acme <sender@acme.example>
Content-Type: multipart/alternative; boundary="000000000000a1b2c3d4e5f6"

--000000000000a1b2c3d4e5f6
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{body}

Lena

On Tue, Nov 24, 2026 at 11:00=E2=80=AFAM Alice from Acme <sender@acme.example> wrote:

> Hi Lena,
> A short note about our idea.
>

--000000000000a1b2c3d4e5f6
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">{body}<div><br></div><div>Lena</div><script>alert(1)</script>\
<img src=3D"x" onerror=3D"alert(2)"></div><br><div class=3D"gmail_quote">\
<blockquote class=3D"gmail_quote">Hi Lena,<br>A short note about our idea.</blockquote></div>

--000000000000a1b2c3d4e5f6--
""")


def apple_reply_without_in_reply_to(sent) -> bytes:
    """Apple Mail keeps References; some clients and forwarders drop In-Reply-To."""
    return _crlf(f"""\
From: Marco Rossi <{sent.recipient}>
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.600.62\\))
Subject: Re: {sent.subject}
Date: Tue, 24 Nov 2026 12:30:44 +0100
References: <older-thread@example.org> {sent.message_id}
To: sender@acme.example
Message-Id: <B5E1C3A0-{sent.pk}@x.example>

Not interested, thanks.

> On 24 Nov 2026, at 11:00, Alice from Acme <sender@acme.example> wrote:
>
> Hi Marco,
""")


def outlook_reply_by_subject(sent) -> bytes:
    """No threading headers at all (a webmail copy-paste): matched by address and subject."""
    return _crlf(f"""\
From: =?utf-8?Q?J=C3=BCrgen_M=C3=BCller?= <{sent.recipient.upper()}>
To: "Alice from Acme" <sender@acme.example>
Subject: AW: {sent.subject}
Thread-Topic: {sent.subject}
Date: Tue, 24 Nov 2026 13:10:00 +0000
Message-ID: <AM0PR07MB{sent.pk}@AM0PR07MB.eurprd07.prod.outlook.com>
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

Gerne, rufen Sie mich n=E4chste Woche an.

Von: Alice from Acme <sender@acme.example>
Gesendet: Dienstag, 24. November 2026 11:00
An: {sent.recipient}
Betreff: {sent.subject}

Hi J=FCrgen,
""")


def mailto_unsubscribe(sent, *, subject="unsubscribe") -> bytes:
    """What a mail client's unsubscribe button sends to our List-Unsubscribe mailto (RFC 2369:
    `mailto:<mailbox>?subject=unsubscribe`): a new mail, no In-Reply-To, none of the thread's
    subject."""
    return _crlf(f"""\
Return-Path: <{sent.recipient}>
From: Lena Vogel <{sent.recipient}>
To: sender@acme.example
Subject: {subject}
Date: Tue, 24 Nov 2026 12:30:00 +0100
Message-Id: <unsub-{sent.pk}@mail.x.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

""")


def out_of_office(sent) -> bytes:
    return _crlf(f"""\
From: {sent.recipient}
To: sender@acme.example
Subject: Automatische Antwort: {sent.subject}
Date: Tue, 24 Nov 2026 11:00:05 +0000
Message-ID: <ooo-{sent.pk}@x.example>
In-Reply-To: {sent.message_id}
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8
MIME-Version: 1.0

Ich bin bis zum 3. Dezember nicht im Büro und habe keinen Zugriff auf meine E-Mails.
""")


def postfix_bounce(sent) -> bytes:
    return _crlf(f"""\
Return-Path: <>
From: MAILER-DAEMON@mx.acme.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: sender@acme.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="8B2C61E0A3.1732446000/mx.acme.example"
Message-Id: <20261124110100.8B2C61E0A3@mx.acme.example>
Date: Tue, 24 Nov 2026 11:01:00 +0000 (UTC)

This is a MIME-encapsulated message.

--8B2C61E0A3.1732446000/mx.acme.example
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.acme.example.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{sent.recipient}>: host mx.x.example[203.0.113.7] said: 550 5.1.1
    <{sent.recipient}>: Recipient address rejected: User unknown (in reply
    to RCPT TO command)

--8B2C61E0A3.1732446000/mx.acme.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.example
X-Postfix-Queue-ID: 8B2C61E0A3
Arrival-Date: Tue, 24 Nov 2026 11:00:58 +0000 (UTC)

Final-Recipient: rfc822; {sent.recipient}
Original-Recipient: rfc822;{sent.recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.x.example
Diagnostic-Code: smtp; 550 5.1.1 <{sent.recipient}>: Recipient address
    rejected: User unknown

--8B2C61E0A3.1732446000/mx.acme.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Alice from Acme <sender@acme.example>
To: {sent.recipient}
Subject: {sent.subject}
Message-ID: {sent.message_id}

--8B2C61E0A3.1732446000/mx.acme.example--
""")


NEWSLETTER = _crlf("""\
From: News <news@vendor.example>
To: sender@acme.example
Subject: Our November newsletter
Message-ID: <news-2026-11@vendor.example>
Date: Tue, 24 Nov 2026 09:00:00 +0000
List-Unsubscribe: <https://vendor.example/u>
Content-Type: text/plain; charset=utf-8

Hello!
""")

BROKEN = (
    b"From: ??? <\xff\xfe@broken>\r\nSubject: =?x-unknown?Q?=FF=FE?=\r\n"
    b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
    b"In-Reply-To: <not-ours@example>\r\n\r\n--never-closed\r\n"
    b"Content-Type: text/plain; charset=x-does-not-exist\r\n\r\n\xff\xfe\xfd garbage"
)


def arf_complaint(sent) -> bytes:
    """A feedback loop report (RFC 5965) as Yahoo / Microsoft JMRP send them."""
    return _crlf(f"""\
From: feedbackloop@fbl.provider.example
To: sender@acme.example
Subject: FW: {sent.subject}
Date: Tue, 24 Nov 2026 15:00:00 +0000
Message-ID: <fbl-{sent.pk}@fbl.provider.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
	boundary="----=_Part_FBL"

------=_Part_FBL
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP 203.0.113.9
on Tue, 24 Nov 2026 11:01:00 +0000.

------=_Part_FBL
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ProviderFBL/1.0
Version: 1
Original-Mail-From: <sender@acme.example>
Original-Rcpt-To: <{sent.recipient}>
Arrival-Date: Tue, 24 Nov 2026 11:01:00 +0000
Source-IP: 203.0.113.9

------=_Part_FBL
Content-Type: text/rfc822-headers

From: Alice from Acme <sender@acme.example>
To: {sent.recipient}
Subject: {sent.subject}
Message-ID: {sent.message_id}

------=_Part_FBL--
""")


def exim_bounce(sent) -> bytes:
    """Exim's classic (non-DSN) failure message."""
    return _crlf(f"""\
Return-path: <>
Received: from mailnull by mx2.acme.example with local (Exim 4.97)
	id 1vBz2k-0003xY-1c for sender@acme.example; Tue, 24 Nov 2026 11:02:00 +0000
X-Failed-Recipients: {sent.recipient}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx2.acme.example>
To: sender@acme.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1vBz2k-0003xY-1c@mx2.acme.example>
Date: Tue, 24 Nov 2026 11:02:00 +0000

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {sent.recipient}
    host mx.x.example [203.0.113.7]
    SMTP error from remote mail server after RCPT TO:<{sent.recipient}>:
    550 5.1.1 User unknown

------ This is a copy of the message, including all the headers. ------

Message-ID: {sent.message_id}
From: Alice from Acme <sender@acme.example>
To: {sent.recipient}
Subject: {sent.subject}

Hi,
""")


def qmail_bounce(sent) -> bytes:
    """qmail's bounce format (QSBMF, never a DSN), from a French host that writes its From
    header's name in raw UTF-8, as many MTAs do."""
    return _crlf(f"""\
Return-Path: <>
Received: (qmail 21427 invoked for bounce); 24 Nov 2026 11:02:03 -0000
Date: 24 Nov 2026 11:02:03 -0000
From: Système de distribution <MAILER-DAEMON@mail.fournisseur.example>
To: sender@acme.example
Subject: failure notice

Hi. This is the qmail-send program at mail.fournisseur.example.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{sent.recipient}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <sender@acme.example>
Message-ID: {sent.message_id}
From: Alice from Acme <sender@acme.example>
To: {sent.recipient}
Subject: {sent.subject}

Hi,
""")


def exchange_bounce(sent) -> bytes:
    """Microsoft Exchange / Outlook.com non-delivery report."""
    return _crlf(f"""\
From: Microsoft Outlook <postmaster@outlook.example>
To: <sender@acme.example>
Date: Tue, 24 Nov 2026 11:03:00 +0000
Subject: Undeliverable: {sent.subject}
Content-Type: multipart/report; report-type=delivery-status;
	boundary="ndr_boundary_4a2b"
Content-Language: en-US
Message-ID: <ndr-{sent.pk}@outlook.example>
In-Reply-To: {sent.message_id}
References: {sent.message_id}
X-MS-Exchange-Message-Is-Ndr:
Auto-Submitted: auto-replied
MIME-Version: 1.0

--ndr_boundary_4a2b
Content-Type: text/plain; charset="us-ascii"

Your message to {sent.recipient} couldn't be delivered.
{sent.recipient.split("@")[0]} wasn't found at {sent.recipient.split("@")[1]}.

--ndr_boundary_4a2b
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR07MB1234.eurprd07.prod.outlook.example
Received-From-MTA: dns;mx.acme.example
Arrival-Date: Tue, 24 Nov 2026 11:02:58 +0000

Final-Recipient: rfc822;{sent.recipient}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found
    by SMTP address lookup

--ndr_boundary_4a2b
Content-Type: text/rfc822-headers

Message-ID: {sent.message_id}
Subject: {sent.subject}
From: Alice from Acme <sender@acme.example>
To: {sent.recipient}

--ndr_boundary_4a2b--
""")


def gmail_bounce(sent, *, status="4.2.2", action="delayed") -> bytes:
    """Gmail's DSN; by default a temporary one (mailbox full)."""
    return _crlf(f"""\
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>
To: sender@acme.example
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Delay)
References: {sent.message_id}
In-Reply-To: {sent.message_id}
Message-ID: <gmail-dsn-{sent.pk}-{status}@mx.google.example>
Date: Tue, 24 Nov 2026 12:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000dsn"; report-type=delivery-status

--000000000000dsn
Content-Type: text/plain; charset="UTF-8"

There was a temporary problem delivering your message to {sent.recipient}. Gmail will retry.
The recipient's inbox is full.

--000000000000dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.example
Arrival-Date: Tue, 24 Nov 2026 11:01:00 +0000

Final-Recipient: rfc822; {sent.recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 452-4.2.2 The email account that you tried to reach is over quota.
Will-Retry-Until: Fri, 27 Nov 2026 11:01:00 +0000

--000000000000dsn--
""")
