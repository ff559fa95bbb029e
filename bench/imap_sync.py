"""Inbox sync throughput: our sync against a bare imapclient fetch of the same mail, same run.

A private dovecot (Debian's, as in the tests; needs root) holds --n messages in INBOX: replies
to the campaign's sent messages (70%), out-of-office replies (10%), bounce reports (10%) and
unrelated mail (10%). The workspace has --sent sent messages. (a) The baseline logs in, selects
INBOX read-only and fetches every message body in batches of 100 (BODY.PEEK[]). (b) Ours runs
`mailbox_inbox_sync` until everything is read: fetch, parse, match, classify, record, stop
sequences, count. Reported: both rates, the ratio (target >= 0.5), and where our time per
message goes (matching vs the rest). SQLite in a temporary folder, DEBUG off.
Usage: .venv/bin/python bench/imap_sync.py [--n 10000] [--sent 100000]
"""

from __future__ import annotations

import argparse
import datetime
import ssl
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402


def populate(sent: int, server):
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring import campaign_create
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


def fill_inbox(server, n: int, sent: int) -> None:
    import imapclient

    from campaigns.models import OutboundMessage
    from tests.campaigns import inbound_mail as mail

    step = max(1, sent // n)
    messages = list(OutboundMessage.objects.order_by("pk")[: n * step : step])
    client = _login(server)
    batch = []
    for i, sent_message in enumerate(messages[:n]):
        kind = i % 10
        if kind < 7:
            raw = mail.gmail_reply(sent_message, body=f"Sounds good, call me on day {i % 28}.")
        elif kind == 7:
            raw = mail.out_of_office(sent_message)
        elif kind == 8:
            raw = mail.postfix_bounce(sent_message)
        else:
            raw = mail.NEWSLETTER.replace(b"news-2026-11", f"news-{i}".encode())
        batch.append(raw)
        if len(batch) == 200:
            client.multiappend("INBOX", batch)
            batch = []
    if batch:
        client.multiappend("INBOX", batch)
    client.logout()
    del imapclient


def _login(server):
    import imapclient

    client = imapclient.IMAPClient("localhost", port=server.port, ssl=False)
    client.starttls(ssl.create_default_context(cafile=str(server.cert)))
    client.login(server.username, server.password)
    return client


def bare_fetch(server) -> tuple[float, int]:
    started = time.perf_counter()
    client = _login(server)
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    count = 0
    for start in range(0, len(uids), 100):
        count += len(client.fetch(uids[start : start + 100], ["BODY.PEEK[]"]))
    client.logout()
    return count / (time.perf_counter() - started), count


def ours(mailbox, n: int) -> tuple[float, float]:
    import campaigns.inbound as inbound

    matching = 0.0
    answered = inbound._answered_batch

    def timed(*args):
        nonlocal matching
        started = time.perf_counter()
        try:
            return answered(*args)
        finally:
            matching += time.perf_counter() - started

    inbound._answered_batch = timed
    read = 0
    started = time.perf_counter()
    while read < n:
        done = inbound.mailbox_inbox_sync(mailbox.pk)
        if done is None or not done.read:
            break
        read += done.read
    elapsed = time.perf_counter() - started
    inbound._answered_batch = answered
    assert read == n, (read, n)
    return read / elapsed, matching / read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--sent", type=int, default=100_000)
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
    try:
        mailbox = populate(args.sent, server)
        fill_inbox(server, args.n, args.sent)
        bare, fetched = bare_fetch(server)
        mine, matching = ours(mailbox, fetched)
    finally:
        server.stop()
    from campaigns.models import Reply

    print(
        f"{fetched} messages among {args.sent} sent: bare imapclient {bare:,.0f}/s, "
        f"ours {mine:,.0f}/s; matching {matching * 1000:.2f} ms a message; "
        f"{Reply.objects.count()} replies, auto-replies and bounces recorded"
    )
    result("imap_sync", "messages_per_second", mine, bare, "ratio >= 0.5", mine / bare >= 0.5)


if __name__ == "__main__":
    main()
