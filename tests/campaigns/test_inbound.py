"""Replies, auto-replies and bounces read back over IMAP from a real dovecot, and acted on."""

import datetime
import ssl

import imapclient
import pytest
import time_machine

from campaigns.inbox.receive import mail_receive_one
from campaigns.inbox.sync import mailbox_inbox_sync, mailboxes_to_sync
from campaigns.leads.suppression import is_suppressed
from campaigns.models import Enrollment, Lead, OutboundMessage, Reply
from campaigns.reports.numbers import campaign_report
from smtp_accounts.imap_sync import mailbox_sync
from smtp_accounts.models import Mailbox
from tests.campaigns import inbound_mail as mail
from tests.factories import START, interrupted_after_delivery, read_from, run_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def imap(imap_server):
    """The test user's mailbox, emptied; `append(raw, folder)` puts mail in it."""
    client = imapclient.IMAPClient("localhost", port=imap_server.port, ssl=False)
    client.starttls(ssl.create_default_context(cafile=str(imap_server.cert)))
    client.login(imap_server.username, imap_server.password)
    if not client.folder_exists("Junk"):
        client.create_folder("Junk")
    for folder in ("INBOX", "Junk"):
        client.select_folder(folder)
        client.delete_messages(client.search("ALL"))
        client.expunge()
    yield client
    client.logout()


def stop_reasons():
    return dict(Enrollment.objects.values_list("lead__email", "stop_reason"))


def test_replies_bounces_and_auto_replies_are_read_and_acted_on(sent, imap, mailbox):
    campaign, by = sent
    imap.append("INBOX", mail.gmail_reply(by["lead0@x.example"]))
    imap.append("Junk", mail.apple_reply_without_in_reply_to(by["lead1@x.example"]))
    imap.append("INBOX", mail.outlook_reply_by_subject(by["lead2@x.example"]))
    imap.append("INBOX", mail.out_of_office(by["lead3@x.example"]))
    imap.append("INBOX", mail.postfix_bounce(by["lead4@x.example"]))
    imap.append("INBOX", mail.NEWSLETTER)
    imap.append("INBOX", mail.BROKEN)

    result = mailbox_inbox_sync(mailbox_id=mailbox.pk)
    assert (result.read, result.failed) == (7, 0)
    kinds = dict(Reply.objects.values_list("message__recipient", "kind"))
    assert kinds == {
        "lead0@x.example": "reply",
        "lead1@x.example": "reply",
        "lead2@x.example": "reply",
        "lead3@x.example": "auto_reply",
        "lead4@x.example": "bounce",
    }
    assert stop_reasons() == {
        "lead0@x.example": "replied",
        "lead1@x.example": "replied",
        "lead2@x.example": "replied",
        "lead3@x.example": "",  # out of office: the sequence goes on
        "lead4@x.example": "bounced",
        "lead5@x.example": "",
    }
    gmail = Reply.objects.get(message__recipient="lead0@x.example")
    assert gmail.text.startswith("Sounds interesting, can we talk on Thursday?")
    assert "wrote:" not in gmail.text and "A short note" not in gmail.text
    assert "<script" not in gmail.html and "onerror" not in gmail.html
    outlook = Reply.objects.get(message__recipient="lead2@x.example")
    assert outlook.text.startswith("Gerne, rufen Sie mich nächste Woche an.")
    assert "Betreff" not in outlook.text
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    assert Lead.objects.get(email="lead4@x.example").status == "bounced"
    assert Lead.objects.get(email="lead0@x.example").status == "replied"
    totals = campaign_report(campaign)["totals"]
    assert (totals["replied"], totals["bounced"], totals["delivered"]) == (3, 1, 5)

    labels = dict(Reply.objects.values_list("message__recipient", "label"))
    assert labels == {
        "lead0@x.example": "interested",
        "lead1@x.example": "not_interested",
        "lead2@x.example": "interested",
        "lead3@x.example": "out_of_office",
        "lead4@x.example": "bounce",
    }

    # Read again: nothing new, nothing twice. Then only the two leads still in the sequence
    # get the follow-up — the one out of office "bis zum 3. Dezember" after that date.
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 0
    assert Reply.objects.count() == 5
    assert run_until(START + datetime.timedelta(days=3)) == 1
    away = Enrollment.objects.get(lead__email="lead3@x.example")
    assert away.next_due_at.date() >= datetime.date(2026, 12, 4)
    assert run_until(away.next_due_at + datetime.timedelta(minutes=1)) == 1
    follow_ups = OutboundMessage.objects.filter(step__position=2)
    assert sorted(follow_ups.values_list("recipient", flat=True)) == [
        "lead3@x.example",
        "lead5@x.example",
    ]


def test_the_sync_never_marks_mail_read(sent, imap, mailbox):
    _campaign, by = sent
    imap.append("INBOX", mail.gmail_reply(by["lead0@x.example"]))
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    imap.select_folder("INBOX", readonly=True)
    [(uid, data)] = imap.fetch(imap.search("ALL"), ["FLAGS"]).items()
    assert b"\\Seen" not in data[b"FLAGS"]


def test_a_crash_half_way_loses_and_duplicates_nothing(sent, imap, mailbox):
    _campaign, by = sent
    for i in range(4):
        imap.append("INBOX", mail.gmail_reply(by[f"lead{i}@x.example"]))

    def dies_after_two(items):
        for raw, at in items[:2]:
            mail_receive_one(mailbox=mailbox, raw=raw, received_at=at)
        raise KeyboardInterrupt  # the worker is killed mid-batch

    with pytest.raises(KeyboardInterrupt):
        mailbox_sync(mailbox, dies_after_two, since=START)
    assert Reply.objects.count() == 2
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 4  # the batch again, from its start
    assert Reply.objects.count() == 4
    assert campaign_report(_campaign)["totals"]["replied"] == 4


def test_only_campaign_mail_is_downloaded_whole(sent, imap, mailbox):
    """The owner's own mail is judged on its header and never fetched past it."""
    from functools import partial

    from campaigns.inbox.receive import JUDGED_ON, wanted_batch

    _campaign, by = sent
    imap.append("INBOX", mail.gmail_reply(by["lead0@x.example"]))
    imap.append("INBOX", mail.NEWSLETTER)
    imap.append("INBOX", mail.outlook_reply_by_subject(by["lead2@x.example"]))
    imap.append("INBOX", mail.postfix_bounce(by["lead4@x.example"]))
    imap.append("Junk", mail.NEWSLETTER.replace(b"news-2026-11", b"news-2"))
    whole = []

    def handle(items):
        whole.extend(raw for raw, _at in items)
        return 0

    judge = partial(wanted_batch, mailbox)
    result = mailbox_sync(mailbox, handle, since=START, wanted=judge, judged_on=JUDGED_ON)
    assert result.read == 5
    assert len(whole) == 3 and not any(b"news-2" in raw for raw in whole)
    assert all(len(raw.partition(b"\r\n\r\n")[2]) > 100 for raw in whole)  # with their bodies

    # A judge that chokes on a header hides nothing: the batch is read whole.
    def chokes(headers):
        raise ValueError("unreadable header")

    whole.clear()
    imap.append("INBOX", mail.NEWSLETTER.replace(b"news-2026-11", b"news-3"))
    assert mailbox_sync(mailbox, handle, since=START, wanted=chokes).read == 1
    assert len(whole) == 1 and b"news-3" in whole[0]


def test_a_run_reads_a_bounded_amount_and_the_next_goes_on(sent, imap, mailbox, monkeypatch):
    """Headers are judged a batch at a time, whole messages read in smaller chunks; a run stops
    after so many read whole, and the next one starts at the checkpoint."""
    from smtp_accounts import imap_sync

    monkeypatch.setattr(imap_sync, "HEADER_BATCH", 3)
    monkeypatch.setattr(imap_sync, "BATCH", 1)
    monkeypatch.setattr(imap_sync, "MAX_WHOLE_PER_RUN", 2)
    _campaign, by = sent
    news = iter(mail.NEWSLETTER.replace(b"news-2026-11", f"n{i}".encode()) for i in range(3))
    for raw in [
        mail.gmail_reply(by["lead0@x.example"]),
        next(news),
        mail.gmail_reply(by["lead1@x.example"]),
        mail.gmail_reply(by["lead2@x.example"]),
        next(news),
        mail.gmail_reply(by["lead3@x.example"]),
        next(news),
    ]:
        imap.append("INBOX", raw)
    reads = [mailbox_inbox_sync(mailbox_id=mailbox.pk).read for _run in range(4)]
    assert reads == [3, 3, 1, 0]  # two whole a run, then the checkpoint
    assert Reply.objects.count() == 4


def test_refused_imap_credentials_pause_the_mailbox(sent, imap, mailbox):
    mailbox.imap_password = "wrong"
    mailbox.save()
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error" and "IMAP" in mailbox.status_reason


def test_hostile_mail_is_survived(sent, mailbox):
    _campaign, by = sent
    assert mail_receive_one(mailbox=mailbox, raw=mail.BROKEN, received_at=START) is None
    assert mail_receive_one(mailbox=mailbox, raw=b"", received_at=START) is None
    assert mail_receive_one(mailbox=mailbox, raw=b"\x00" * 1000, received_at=START) is None
    huge = mail.gmail_reply(by["lead0@x.example"], body="word " * 400_000)
    assert mail_receive_one(mailbox=mailbox, raw=huge, received_at=START) == "reply"
    assert len(Reply.objects.get().text) <= 20_000


def test_a_reply_that_decodes_to_nul_characters_is_kept(sent, mailbox):
    """A wrong transfer encoding or charset can decode to NUL, which PostgreSQL refuses in
    text: the reply must still be stored (replaced characters), not skipped."""
    _campaign, by = sent
    raw = mail.gmail_reply(by["lead3@x.example"]).replace(
        b"Content-Transfer-Encoding: quoted-printable", b"Content-Transfer-Encoding: base64", 1
    )
    raw = raw.replace(b"Subject: Re:", b"Subject: =?utf-8?b?AAA=?= Re:", 1)
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "reply"
    reply = Reply.objects.get()
    assert "\x00" not in reply.text + reply.html + reply.subject and reply.text


@pytest.mark.timeout(60)  # unbounded, the 10 MB report took minutes
def test_a_huge_bounce_report_is_read_in_bounded_time(sent, mailbox):
    """The bounce detectors take ~12 µs a line: a report padded to the 10 MB the sync reads
    whole must not hold the inbox worker for minutes. What matters in a report comes first;
    the returned message, after it, may be any size."""
    _campaign, by = sent
    message = by["lead4@x.example"]
    report = mail.postfix_bounce(message)
    closing = b"--8B2C61E0A3.1732446000/mx.acme.example--"
    padded = report.replace(closing, b"\r\n" * 5_000_000 + closing)
    assert len(padded) > 10_000_000
    assert mail_receive_one(mailbox=mailbox, raw=padded, received_at=START) == "bounce"
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    assert (
        mail_receive_one(
            mailbox=mailbox,
            raw=b"From: MAILER-DAEMON@x.example\r\n\r\n" + b"\n" * 10**7,
            received_at=START,
        )
        is None
    )


def test_a_huge_html_reply_keeps_its_start(sent, mailbox):
    _campaign, by = sent
    html = "<p>Yes, <b>let's talk</b> on Thursday.</p>" + "<p>filler <i>text</i></p>" * 400_000
    raw = mail.gmail_reply(by["lead2@x.example"])
    head = raw.split(b"\r\n\r\n", 1)[0].replace(
        b"multipart/alternative", b"text/html; charset=utf-8"
    )
    head = head.replace(b'; boundary="000000000000a1b2c3d4e5f6"', b"")
    assert (
        mail_receive_one(mailbox=mailbox, raw=head + b"\r\n\r\n" + html.encode(), received_at=START)
        == "reply"
    )
    reply = Reply.objects.get()
    assert reply.text.startswith("Yes, let's talk on Thursday.")
    assert reply.html.startswith("<p>Yes, <b>let's talk</b>")
    assert len(reply.html) < 1_000_100  # the first megabyte, its open tags closed


def test_remove_me_in_words_unsubscribes(sent, mailbox):
    _campaign, by = sent
    message = by["lead5@x.example"]
    assert (
        mail_receive_one(
            mailbox=mailbox,
            raw=mail.gmail_reply(message, body="Please remove me from your list."),
            received_at=START,
        )
        == "reply"
    )
    assert Reply.objects.get().label == "unsubscribe"
    assert is_suppressed(mailbox.workspace, "lead5@x.example")
    assert Enrollment.objects.get(lead__email="lead5@x.example").status == "stopped"


def test_reports_quoting_a_nul_are_read_by_what_else_they_say(sent, mailbox):
    """A NUL in a quoted Message-ID or address reached PostgreSQL's query and failed the batch
    (the inbound fuzz test found it): such a value names nothing of ours, the rest still does."""
    _campaign, by = sent
    message = by["lead4@x.example"]
    damaged = mail.qmail_bounce(message).replace(b"Message-ID: <", b"Message-ID: <\x00", 1)
    assert (
        mail_receive_one(mailbox=mailbox, raw=damaged, received_at=START) == "bounce"
    )  # by the address it names
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    complaint = mail.arf_complaint(by["lead3@x.example"])
    complaint = complaint.replace(b"Original-Rcpt-To: ", b"Original-Rcpt-To: \x00")
    complaint = complaint.replace(b"Message-ID: <", b"Message-ID: <\x00")
    assert mail_receive_one(mailbox=mailbox, raw=complaint, received_at=START) == "complaint"
    assert is_suppressed(mailbox.workspace, "lead3@x.example")
    nothing = mail.arf_complaint(by["lead2@x.example"]).replace(b"lead2@", b"\x00lead2@")
    nothing = nothing.replace(b"Message-ID: <", b"Message-ID: <\x00")
    assert mail_receive_one(mailbox=mailbox, raw=nothing, received_at=START) is None
    assert not is_suppressed(mailbox.workspace, "lead2@x.example")


def test_the_list_unsubscribe_mailto_is_honoured(sent, mailbox):
    """Our List-Unsubscribe header offers a mailto; a client's unsubscribe button sends a new
    mail there, tied to nothing but its sender. It must unsubscribe them all the same."""
    from campaigns.inbox.receive import wanted_batch

    _campaign, by = sent
    message = by["lead2@x.example"]
    raw = mail.mailto_unsubscribe(message)
    assert wanted_batch(mailbox, [mail.judged_headers(raw)]) == [True]  # the sync fetches it
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "reply"
    assert Reply.objects.get().label == "unsubscribe"
    assert is_suppressed(mailbox.workspace, "lead2@x.example")
    assert Enrollment.objects.get(lead__email="lead2@x.example").status == "stopped"
    # "Unsubscribe" from someone we never wrote to is nobody's request
    stranger = mail.mailto_unsubscribe(message).replace(b"lead2@x.example", b"who@y.example")
    assert wanted_batch(mailbox, [mail.judged_headers(stranger)]) == [False]
    assert mail_receive_one(mailbox=mailbox, raw=stranger, received_at=START) is None


def test_a_spam_complaint_suppresses_as_a_complaint(sent, mailbox):
    from campaigns.models import Suppression

    _campaign, by = sent
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.arf_complaint(by["lead3@x.example"]), received_at=START
        )
        == "complaint"
    )
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.arf_complaint(by["lead3@x.example"]), received_at=START
        )
        == "complaint"
    )
    assert Reply.objects.count() == 1
    assert Suppression.objects.get(value="lead3@x.example").reason == "complaint"
    assert Enrollment.objects.get(lead__email="lead3@x.example").stop_reason == "unsubscribed"


def test_a_failing_inbox_is_shown_and_retried_later(
    sent, imap, imap_server, mailbox, client, alice
):
    from django.urls import reverse

    from campaigns.inbox.sync import mailboxes_to_sync

    assert mailboxes_to_sync() == [mailbox.pk]
    moved = Mailbox.objects.get(pk=mailbox.pk)
    moved.imap_port = 1  # nothing listens there (the owner typed the password for it)
    moved.bind_secrets()
    moved.save()
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.imap_failures == 1 and mailbox.status == "active"
    assert mailbox.imap_error == "Could not talk to localhost:1: [Errno 111] Connection refused"
    assert mailboxes_to_sync() == []  # waits 2 minutes before the next try
    client.force_login(alice)
    assert "Replies not read" in client.get(reverse("mailbox_list")).content.decode()
    with time_machine.travel(mailbox.imap_failed_at + datetime.timedelta(minutes=3)):
        assert mailboxes_to_sync() == [mailbox.pk]
    moved.imap_port = imap_server.port  # fixed
    moved.bind_secrets()
    moved.save()
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 0
    mailbox.refresh_from_db()
    assert (mailbox.imap_failures, mailbox.imap_error) == (0, "")
    assert mailbox.imap_synced_at is not None


def test_a_refused_inbox_sign_in_pauses_the_mailbox_in_plain_words(sent, imap, mailbox, alice):
    from accounts.models import Notification

    mailbox.imap_password = "changed-by-the-owner"
    mailbox.save()
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error" and mailbox.imap_failures == 1
    # dovecot's answer as text, not as the bytes imaplib hands over (b'[AUTH…')
    assert mailbox.imap_error == (
        "The IMAP server rejected the username or password: "
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    note = Notification.objects.get(user=alice)
    assert "Replies are read over IMAP" in note.body and "b'" not in note.body
    assert "changed-by-the-owner" not in note.body + mailbox.imap_error + mailbox.status_reason


@pytest.mark.parametrize(
    "builder", [mail.postfix_bounce, mail.exim_bounce, mail.exchange_bounce, mail.qmail_bounce]
)
def test_permanent_bounces_from_postfix_exim_and_exchange(sent, mailbox, builder):
    _campaign, by = sent
    assert (
        mail_receive_one(mailbox=mailbox, raw=builder(by["lead4@x.example"]), received_at=START)
        == "bounce"
    )
    assert Reply.objects.get().permanent
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    assert stop_reasons()["lead4@x.example"] == "bounced"


def test_temporary_bounces_suppress_only_when_they_repeat(sent, mailbox):
    _campaign, by = sent
    message = by["lead4@x.example"]
    for day in range(2):
        raw = mail.gmail_bounce(message).replace(b"-4.2.2@", f"-4.2.2-{day}@".encode())
        assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
        assert not is_suppressed(mailbox.workspace, "lead4@x.example")
    assert not Reply.objects.filter(permanent=True).exists()
    assert stop_reasons()["lead4@x.example"] == ""  # still in the sequence
    raw = mail.gmail_bounce(message).replace(b"-4.2.2@", b"-4.2.2-2@")
    mail_receive_one(mailbox=mailbox, raw=raw, received_at=START)  # the third
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    assert stop_reasons()["lead4@x.example"] == "bounced"


def test_a_batch_of_bounce_reports_is_acted_on_once(sent, mailbox):
    """Reports arrive together (a bad list bounces at once): each is tied to its message and
    acted on, the same report twice is one, three temporary ones of an address suppress it."""
    from campaigns.inbox.receive import mail_receive

    campaign, by = sent
    temporary = [
        mail.gmail_bounce(by["lead2@x.example"]).replace(b"-4.2.2@", f"-4.2.2-{n}@".encode())
        for n in range(3)
    ]
    batch = [
        mail.postfix_bounce(by["lead0@x.example"]),
        mail.exim_bounce(by["lead1@x.example"]),
        mail.postfix_bounce(by["lead0@x.example"]),  # the same report again
        *temporary,
        mail.gmail_bounce(by["lead3@x.example"]),  # one temporary: no more than counted
        mail.gmail_reply(by["lead5@x.example"]),
    ]
    kinds = mail_receive(mailbox=mailbox, items=[(raw, START) for raw in batch])
    assert kinds == ["bounce"] * 7 + ["reply"]
    assert Reply.objects.filter(kind="bounce").count() == 6
    for address in ("lead0@x.example", "lead1@x.example", "lead2@x.example"):
        assert is_suppressed(mailbox.workspace, address)
        assert stop_reasons()[address] == "bounced"
        assert Lead.objects.get(email=address).status == "bounced"
    assert not is_suppressed(mailbox.workspace, "lead3@x.example")
    assert stop_reasons()["lead3@x.example"] == ""
    # Read again (a crash before the checkpoint): nothing more happens.
    assert mail_receive(mailbox=mailbox, items=[(raw, START) for raw in batch]) == kinds
    assert Reply.objects.filter(kind="bounce").count() == 6
    totals = campaign_report(campaign)["totals"]
    assert totals["replied"] == 1


def test_mail_about_an_interrupted_send_is_read_and_proves_it_went_out(
    workspace_a, mailbox, smtp_server, monkeypatch
):
    """The worker died after the server took the messages and before it said so: recovery
    calls them unknown. A reply, a bounce report or a complaint about one is still read (it
    is about our message), and proves it went out: it becomes sent, counted once, and its
    stopped sequence says why it ends."""
    campaign = interrupted_after_delivery(workspace_a, mailbox)
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    assert {m.state for m in by.values()} == {"unknown"}
    at = START + datetime.timedelta(hours=5)
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.gmail_reply(by["lead0@x.example"]), received_at=at
        )
        == "reply"
    )
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.postfix_bounce(by["lead1@x.example"]), received_at=at
        )
        == "bounce"
    )
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.arf_complaint(by["lead2@x.example"]), received_at=at
        )
        == "complaint"
    )

    assert Reply.objects.get(kind="reply").message == by["lead0@x.example"]
    states = dict(OutboundMessage.objects.values_list("recipient", "state"))
    assert set(states.values()) == {"sent"}
    sent = OutboundMessage.objects.get(recipient="lead0@x.example")
    assert sent.sent_at == sent.sending_at == START + datetime.timedelta(hours=2)
    assert stop_reasons() == {
        "lead0@x.example": "replied",
        "lead1@x.example": "bounced",
        "lead2@x.example": "unsubscribed",
    }
    assert dict(Lead.objects.values_list("email", "status")) == {
        "lead0@x.example": "replied",
        "lead1@x.example": "bounced",
        "lead2@x.example": "unsubscribed",
    }
    assert is_suppressed(workspace_a, "lead1@x.example")
    assert is_suppressed(workspace_a, "lead2@x.example")
    totals = campaign_report(campaign)["totals"]
    assert (totals["sent"], totals["unknown"], totals["replied"]) == (3, 0, 1)
    # Read again (a crash before the checkpoint): nothing counted twice.
    assert (
        mail_receive_one(
            mailbox=mailbox, raw=mail.gmail_reply(by["lead0@x.example"]), received_at=at
        )
        == "reply"
    )
    assert campaign_report(campaign)["totals"]["sent"] == 3


def test_a_mailbox_whose_only_sends_were_interrupted_is_still_read(
    workspace_a, mailbox, smtp_server, imap_server, imap, monkeypatch
):
    read_from(mailbox, imap_server)
    interrupted_after_delivery(workspace_a, mailbox, n=1)
    message = OutboundMessage.objects.get()
    imap.append("INBOX", mail.gmail_reply(message))
    later = START + datetime.timedelta(hours=5)
    with time_machine.travel(later, tick=False):
        assert mailboxes_to_sync() == [mailbox.pk]
        mailbox_inbox_sync(mailbox_id=mailbox.pk)
    assert Reply.objects.get().message == message
    assert OutboundMessage.objects.get().state == "sent"
