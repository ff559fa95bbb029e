"""Inbox sync throughput: our sync against a bare imapclient fetch of the same mail, same run.

A private dovecot (Debian's, as in the tests; needs root) and a workspace with --sent sent
messages. Two inboxes of --n messages each, one after the other:
- "campaign": a mailbox that only sends campaigns — 90% is mail about them: replies to the sent
  messages (70%), out-of-office replies (10%), bounce reports (10%); 10% unrelated;
- "working": a person's working mailbox that also sends campaigns — 10% mail about them (same
  proportions), 90% the owner's own mail: colleague threads (~6 KB) and HTML newsletters
  (~24 KB), with the transport headers real mail carries (~2.4 KB: Received, ARC, DKIM).
For each, (a) the baseline logs in, selects INBOX read-only and fetches every message body in
batches of 100 (BODY.PEEK[]; the median of three runs); (b) ours runs `mailbox_inbox_sync`
until everything is read: headers, then whole messages for the campaign's mail (parse, match,
classify, record, stop sequences, count). Printed beside them, no target: the same fetch with
every message parsed once, i.e. what parsing alone costs against what 0.5x leaves. --rounds
rounds per inbox, each with fresh mail answering other sent messages; reported per inbox, from
the median round by ratio: both rates, the ratio (target >= 0.5) and the matching cost per
message. SQLite in a temporary folder, DEBUG off.
Usage: .venv/bin/python bench/imap_sync.py [--n 10000] [--sent 100000] [--rounds 3]
       [--inbox campaign|working]
"""

from __future__ import annotations

import argparse
import datetime
import email
import email.policy
import ssl
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402


def populate(sent: int, server):
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage
    from smtp_accounts.models import Mailbox

    workspace = Workspace.objects.create(name="imap bench")
    mailbox = Mailbox.objects.create(
        workspace=workspace,
        email="sender@acme.example",
        smtp_host="localhost",
        smtp_port=25,
        smtp_username="x",
        smtp_password="x",
        imap_host="localhost",
        imap_port=server.port,
        imap_security="starttls",
        imap_username=server.username,
        imap_password=server.password,
    )
    campaign = campaign_create(workspace=workspace, name="bench")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.RUNNING)
    step = campaign.steps.get()
    now = timezone.now() - datetime.timedelta(hours=2)
    for start in range(0, sent, 5000):
        leads = Lead.objects.bulk_create(
            Lead(workspace=workspace, email=f"l{i}@x{i % 997}.example",
                 email_normalized=f"l{i}@x{i % 997}.example", first_name=f"N{i}")
            for i in range(start, min(sent, start + 5000))
        )  # fmt: skip
        enrollments = Enrollment.objects.bulk_create(
            Enrollment(campaign=campaign, lead=lead, mailbox=mailbox, next_due_at=None)
            for lead in leads
        )
        OutboundMessage.objects.bulk_create(
            OutboundMessage(
                enrollment=e, step=step, mailbox=mailbox, state="sent", recipient=lead.email,
                subject=f"Idea for N{lead.pk}", message_id=f"<bench{e.pk}@acme.example>",
                sent_at=now,
            )
            for e, lead in zip(enrollments, leads, strict=True)
        )  # fmt: skip
    return mailbox


def fill_inbox(server, n: int, sent: int, *, share: float, part: int, parts: int) -> None:
    """n messages, `share` of them about the campaign, answering sent messages spread over the
    part-th of `parts` slices of them: each round answers messages no other round answers, so
    nothing is recognised as read before."""
    from campaigns.models import OutboundMessage
    from tests.campaigns import inbound_mail as mail

    ours = round(n * share)
    first, size = part * sent // parts, sent // parts
    assert ours <= size, f"--sent {sent} is too few for {parts} rounds of {ours}"
    step = size // max(ours, 1)
    messages = list(OutboundMessage.objects.order_by("pk")[first : first + ours * step : step])
    client = _login(server)
    client.select_folder("INBOX")
    client.delete_messages(client.search("ALL"))
    client.expunge()
    batch = []
    for i in range(n):
        if i * ours // n != (i + 1) * ours // n:  # spread the campaign's mail evenly
            sent_message = messages[i * ours // n]
            kind = (i * ours // n) % 9
            if kind < 7:
                raw = mail.gmail_reply(sent_message, body=f"Sounds good, call me on day {i % 28}.")
            elif kind == 7:
                raw = mail.out_of_office(sent_message)
            else:
                raw = mail.postfix_bounce(sent_message)
        else:
            raw = (_colleague if i % 2 else _newsletter)(i)
        batch.append(raw)
        if len(batch) == 200:
            client.multiappend("INBOX", batch)
            batch = []
    if batch:
        client.multiappend("INBOX", batch)
    client.logout()


def _trace(i: int, domain: str) -> str:
    """The transport headers real mail arrives with (~2.5 KB): Received hops, ARC, DKIM,
    authentication results. The bench's own builders would otherwise be unrealistically lean."""
    sig = "".join(chr(65 + (i * 7 + k) % 26) for k in range(344))
    fold = "\r\n\t".join(sig[k : k + 76] for k in range(0, len(sig), 76))
    hops = "".join(
        f"Received: from mail{hop}.{domain} (mail{hop}.{domain} [203.0.113.{hop + 10}])\r\n"
        f"\tby mx{hop}.acme.example with ESMTPS id {i:08x}{hop} for <sender@acme.example>;\r\n"
        f"\tTue, 24 Nov 2026 09:{i % 60:02d}:{hop:02d} +0000\r\n"
        for hop in range(4)
    )
    return (
        f"Delivered-To: sender@acme.example\r\n{hops}"
        f"ARC-Seal: i=1; a=rsa-sha256; t=1795510800; cv=none; d=google.com; s=arc-20240605;\r\n"
        f"\tb={fold}\r\n"
        f"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com;\r\n"
        f"\th=to:subject:message-id:date:from:mime-version; bh=x{i}=;\r\n\tb={fold}\r\n"
        f"Authentication-Results: mx.acme.example; dkim=pass header.d={domain};\r\n"
        f"\tspf=pass smtp.mailfrom={domain}; dmarc=pass (p=NONE) header.from={domain}\r\n"
        f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1;\r\n"
        f"\th=from:to:subject:date:message-id; bh=y{i}=;\r\n\tb={fold}\r\n"
        f"X-Received: by 2002:a05:6000:{i % 9999:x} with SMTP id {i:x}; Tue, 24 Nov 2026\r\n"
    )


def _colleague(i: int) -> bytes:
    """A colleague's answer in an internal thread (not ours), quoted history and all, ~4 KB."""
    said = "Line {} of what was said before in this thread, quoted by the mail client."
    quoted = "\r\n".join("> " + said.format(k) for k in range(45))
    return (
        f"{_trace(i, 'acme.example')}"
        f"From: Sam Lee <sam@acme.example>\r\nTo: sender@acme.example\r\n"
        f"Subject: Re: Q{i % 4 + 1} planning\r\nMessage-ID: <team-{i}@acme.example>\r\n"
        f"In-Reply-To: <team-{i - 2}@acme.example>\r\nReferences: <team-{i - 2}@acme.example>\r\n"
        f"Date: Tue, 24 Nov 2026 09:{i % 60:02d}:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Agreed, let's go with the second option for item {i}.\r\n\r\nSam\r\n\r\n"
        f"On Monday, Alice wrote:\r\n{quoted}\r\n"
    ).encode()


def _newsletter(i: int) -> bytes:
    """An HTML newsletter with a text part, ~20 KB."""
    item = "<tr><td><h2>Story</h2><p>" + "A paragraph of newsletter copy. " * 12 + "</p></td></tr>"
    html = "<html><body><table>" + item * 40 + "</table></body></html>"
    text = ("Story\r\n" + "A paragraph of newsletter copy. " * 12 + "\r\n") * 12
    return (
        f"{_trace(i, f'vendor{i % 7}.example')}"
        f"From: Vendor News <news@vendor{i % 7}.example>\r\nTo: sender@acme.example\r\n"
        f"Subject: This week at Vendor {i % 7}\r\nMessage-ID: <news-{i}@vendor.example>\r\n"
        f"Date: Tue, 24 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        f"List-Unsubscribe: <https://vendor.example/u/{i}>\r\n"
        f'Content-Type: multipart/alternative; boundary="b{i}"\r\n\r\n'
        f"--b{i}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--b{i}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b{i}--\r\n"
    ).encode()


def _login(server):
    import imapclient

    client = imapclient.IMAPClient("localhost", port=server.port, ssl=False)
    client.starttls(ssl.create_default_context(cafile=str(server.cert)))
    client.login(server.username, server.password)
    return client


def bare_fetch(server, *, parse: bool = False) -> tuple[float, int]:
    """The baseline; with `parse`, each message is also parsed once (as the sync must, at the
    least, for mail it reads whole): printed to show what parsing alone takes, not a target."""
    started = time.perf_counter()
    client = _login(server)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    count = 0
    for start in range(0, len(uids), 100):
        fetched = client.fetch(uids[start : start + 100], ["BODY.PEEK[]"])
        if parse:
            for data in fetched.values():
                email.message_from_bytes(data[b"BODY[]"], policy=email.policy.compat32)
        count += len(fetched)
    client.logout()
    return count / (time.perf_counter() - started), count


def ours(mailbox, n: int, *, about_campaign: int) -> tuple[float, float]:
    import campaigns.inbox.receive as inbound
    import campaigns.inbox.sync as inbox_sync
    from campaigns.models import Reply

    replies_before = Reply.objects.count()
    matching = 0.0
    answered = inbound._answered_batch

    def timed(*args, **kwargs):
        nonlocal matching
        started = time.perf_counter()
        try:
            return answered(*args, **kwargs)
        finally:
            matching += time.perf_counter() - started

    inbound._answered_batch = timed
    read = 0
    started = time.perf_counter()
    while read < n:
        done = inbox_sync.mailbox_inbox_sync(mailbox_id=mailbox.pk)
        if done is None or not done.read:
            break
        read += done.read
    elapsed = time.perf_counter() - started
    inbound._answered_batch = answered
    assert read == n, (read, n)
    # Every reply, out-of-office and bounce was recorded, once: the speed was not bought by
    # skipping work.
    recorded = Reply.objects.count() - replies_before
    assert recorded == about_campaign, (recorded, about_campaign)
    return read / elapsed, matching / read


INBOXES = {"campaign": 0.9, "working": 0.1}  # the share of mail about the campaign


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sent", type=int, default=100_000)
    parser.add_argument("--inbox", choices=sorted(INBOXES), action="append")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    django_in_tempdir()
    from django.conf import settings

    from tests.servers import imap

    settings.DEBUG = False
    if not imap.available():
        sys.exit("needs Debian's dovecot-imapd and root (scripts/ensure-test-tools.sh)")
    server = imap.TestIMAPServer().start()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    outcomes = []
    try:
        mailbox = populate(args.sent, server)
        inboxes = args.inbox or list(INBOXES)
        part, parts = 0, len(inboxes) * args.rounds
        for name in inboxes:
            rounds = []
            for _round in range(args.rounds):
                share = INBOXES[name]
                fill_inbox(server, args.n, args.sent, share=share, part=part, parts=parts)
                part += 1
                # The baseline is quick and the machine noisy: its median of three runs.
                bare, fetched = sorted(bare_fetch(server) for _ in range(3))[1]
                parsed = sorted(bare_fetch(server, parse=True)[0] for _ in range(3))[1]
                expected = round(args.n * INBOXES[name])
                mine, matching = ours(mailbox, fetched, about_campaign=expected)
                print(
                    f"{name} inbox: bare {bare:,.0f}/s, fetch and parse {parsed:,.0f}/s, "
                    f"ours {mine:,.0f}/s",
                    flush=True,
                )
                rounds.append((bare, mine, matching, fetched, parsed))
            bare, mine, matching, fetched, parsed = sorted(rounds, key=lambda r: r[1] / r[0])[
                len(rounds) // 2
            ]
            outcomes.append((name, bare, mine, matching, fetched, parsed))
    finally:
        server.stop()
    for name, bare, mine, matching, fetched, parsed in outcomes:
        parsing = 1000 / parsed - 1000 / bare  # ms a message
        print(
            f"{name} inbox, {fetched} messages ({INBOXES[name]:.0%} about the campaign) among "
            f"{args.sent} sent: bare imapclient {bare:,.0f}/s, ours {mine:,.0f}/s; "
            f"matching {matching * 1000:.2f} ms a message; parsing every message once "
            f"{parsing:.3f} ms of the {1000 / (0.5 * bare):.3f} ms a message 0.5x leaves"
        )
        result(
            f"imap_sync_{name}",
            "messages_per_second",
            mine,
            bare,
            "ratio >= 0.5",
            mine / bare >= 0.5,
        )


if __name__ == "__main__":
    main()
