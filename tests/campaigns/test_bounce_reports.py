"""Bounce reports from every major MTA: the failed address read, whose fault it is, and only the
recipient of our own message ever suppressed."""

import datetime
import email
import email.policy
from dataclasses import replace

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.inbox.bounce_reading import candidate, report_failures
from campaigns.inbox.failure_kinds import failure_verdict
from campaigns.inbox.receive import mail_receive, mail_receive_one
from campaigns.leads.suppression import is_suppressed
from campaigns.models import CampaignStat, Enrollment, Lead, OutboundMessage, Reply, Suppression
from campaigns.sending.launch import campaign_launch
from tests.campaigns import bounce_shapes as shapes
from tests.factories import START, build, run_until

pytestmark = pytest.mark.django_db

OWN = frozenset({"sender@acme.example"})


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=6, steps=2)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return campaign, {m.recipient: m for m in OutboundMessage.objects.all()}


def returned(message, case="unknown_user", **fields) -> shapes.Returned:
    return shapes.Returned(
        message.recipient,
        message.message_id,
        subject=message.subject,
        sender=message.mailbox.email,
        case=shapes.CASES_BY_NAME[case],
        **fields,
    )


def suppressed_values(workspace) -> set[str]:
    return set(Suppression.objects.filter(workspace=workspace).values_list("value", flat=True))


def returned_total(campaign) -> int:
    return sum(CampaignStat.objects.filter(campaign=campaign).values_list("returned", flat=True))


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.compat32)


# --- what is read from each format --------------------------------------------------------------


@pytest.mark.parametrize("fmt", list(shapes.FORMATS))
@pytest.mark.parametrize("case", shapes.CASES + shapes.CASES_ROUND2, ids=lambda c: c.name)
def test_each_format_yields_the_failed_address_and_whose_fault_it_is(fmt, case):
    r = shapes.Returned("lena.vogel@x.example", "<m1.abc@acme.example>", case=case)
    for quoted in (True, False):
        raw = shapes.FORMATS[fmt](replace(r, quote_headers=quoted))
        failures = {f.address: f for f in report_failures(parse(raw), raw, own=OWN)}
        assert set(failures) == {"lena.vogel@x.example"}
        verdict = failures["lena.vogel@x.example"].verdict
        assert verdict.side == case.side, (fmt, case.name, verdict)


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=80) | st.emails().map(lambda a: f"<{a}>"))
def test_a_candidate_is_empty_or_one_valid_address_that_is_not_ours(value):
    found = candidate(value, own=OWN)
    assert found == "" or (found.count("@") == 1 and found not in OWN and found == found.lower())


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_any_report_is_read_without_an_error_and_names_only_candidates(raw):
    raw = b"Content-Type: multipart/report; boundary=B\r\n\r\n--B\r\n" + raw
    for failure in report_failures(parse(raw), raw, own=OWN):
        assert candidate(failure.address, own=OWN) == failure.address


@pytest.mark.parametrize(
    "value",
    ["", "@mx.example.org", "mx.example.org", "|/usr/bin/procmail", "/var/mail/lena",
     "<20261124.abc@>", "sender@acme.example", "rfc822;", "lena@", "a b@x.example"],
)  # fmt: skip
def test_what_is_not_an_address_is_no_candidate(value):
    assert candidate(value, own=OWN) == ""


def test_a_candidate_is_lower_case_without_its_type_or_brackets():
    assert candidate("rfc822; <Lena.Vogel@X.example>", own=OWN) == "lena.vogel@x.example"


@pytest.mark.parametrize(
    ("status", "text", "side", "cause"),
    [
        ("5.1.1", "550 5.1.1 user unknown", "recipient", "unknown_user"),
        ("5.2.2", "552 5.2.2 mailbox full", "temporary", "mailbox_full"),
        ("5.1.1", "550 5.1.1 blocked using zen.spamhaus.org", "sender", "blocklisted"),
        ("5.7.26", "550 5.7.26 unauthenticated email", "sender", "authentication"),
        ("5.7.1", "550 5.7.1 Message rejected as spam", "sender", "spam_content"),
        ("4.7.0", "421 4.7.0 Try again later, closing connection", "temporary", "greylisted"),
        ("", "554 Message not accepted for policy reasons", "sender", "policy"),
        ("", "", "temporary", "other"),
        (
            "5.4.1",
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
            "recipient",
            "unknown_user",
        ),
        (
            "4.7.0",
            "421 4.7.0 [IPTS04] Messages temporarily deferred due to user complaints",
            "sender",
            "blocklisted",
        ),
        ("", "550 Message rejected due to content restrictions", "sender", "spam_content"),
    ],
)
def test_a_failure_is_classified_by_its_code_and_its_words(status, text, side, cause):
    verdict = failure_verdict(status, text)
    assert (verdict.side, verdict.cause) == (side, cause)


# --- only ever the recipient of our message --------------------------------------------------


def test_a_bare_domain_as_final_recipient_suppresses_the_recipient_not_the_domain(sent, mailbox):
    _campaign, by = sent
    message = by["lead1@x.example"]
    raw = shapes.rfc3464(returned(message)).replace(
        b"Final-Recipient: rfc822; lead1@x.example", b"Final-Recipient: rfc822; @mx.example.org"
    )
    raw = raw.replace(b"Original-Recipient: rfc822;lead1@x.example", b"Original-Recipient: ")
    raw = raw.replace(b"    lead1@x.example", b"    (a list)")
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
    assert suppressed_values(mailbox.workspace) == {"lead1@x.example"}
    assert not is_suppressed(mailbox.workspace, "someone@mx.example.org")


def test_our_own_mailbox_and_the_message_id_are_never_suppressed(sent, mailbox):
    """Zoho's report names the recipient, the returned Message-ID and our own address."""
    _campaign, by = sent
    message = by["lead2@x.example"]
    raw = shapes.zoho(returned(message, quote_headers=False))
    noise = f"{message.message_id.strip('<>')}: 550 failed\r\n{mailbox.email}: 550 failed\r\n"
    raw = raw.replace(b"\r\nMessage ID:", b"\r\n" + noise.encode() + b"Message ID:")
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
    assert suppressed_values(mailbox.workspace) == {"lead2@x.example"}
    assert not is_suppressed(mailbox.workspace, mailbox.email)


@pytest.mark.parametrize("junk", [b"", b"|/usr/bin/procmail -t", b"/var/mail/lead3"])
def test_an_empty_a_pipe_or_a_path_recipient_suppresses_nothing_else(sent, mailbox, junk):
    _campaign, by = sent
    raw = shapes.postfix(returned(by["lead3@x.example"]))
    raw = raw.replace(b"Final-Recipient: rfc822; lead3@x.example", b"Final-Recipient: " + junk)
    raw = raw.replace(b"Original-Recipient: rfc822;lead3@x.example", b"Original-Recipient: " + junk)
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
    assert suppressed_values(mailbox.workspace) == {"lead3@x.example"}  # our message's recipient


def test_a_report_naming_no_address_is_tied_by_the_message_id_it_returns(sent, mailbox):
    """Exchange writes display names, not addresses, in some reports: the returned headers
    still say which message failed, and so whose address."""
    _campaign, by = sent
    message = by["lead4@x.example"]
    raw = shapes.exchange(returned(message)).replace(b"lead4@x.example", b"Lena Vogel")
    raw = raw.replace(b"To: Lena Vogel", b"To: lead4@x.example")  # the returned headers' To
    raw = raw.replace(b"Final-Recipient: rfc822; Lena Vogel", b"Final-Recipient: rfc822; ")
    raw = raw.replace(b"Original-Recipient: rfc822;Lena Vogel", b"Original-Recipient: rfc822;")
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
    assert is_suppressed(mailbox.workspace, "lead4@x.example")
    assert Reply.objects.get().failure == "recipient"


def test_a_reply_style_bounce_about_our_message_is_no_human_reply(sent, mailbox):
    """A bounce written as a plain reply in the thread (no report part, no null sender)."""
    _campaign, by = sent
    message = by["lead5@x.example"]
    raw = (
        f"From: Mail Administrator <mail.admin@x.example>\r\nTo: {mailbox.email}\r\n"
        f"Subject: Undeliverable: {message.subject}\r\nIn-Reply-To: {message.message_id}\r\n"
        f"References: {message.message_id}\r\nMessage-ID: <ndr-1@x.example>\r\n\r\n"
        "Delivery has failed to these recipients or groups:\r\n\r\n"
        f"{message.recipient}\r\nThe e-mail address you entered couldn't be found.\r\n"
    ).encode()
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "bounce"
    assert Lead.objects.get(email="lead5@x.example").status == "bounced"
    assert not Reply.objects.filter(kind="reply").exists()


_ADDRESSES = st.sampled_from(
    ["lead0@x.example", "lead1@x.example", "sender@acme.example", "@x.example", "x.example",
     "", "|/bin/sh", "/var/mail/x", "postmaster@x.example", "LEAD2@X.EXAMPLE", "a@b", "<>"]
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    names=st.lists(_ADDRESSES, min_size=0, max_size=4),
    quote_id=st.booleans(),
    message_n=st.integers(0, 5),
    case=st.sampled_from(shapes.CASES),
    fmt=st.sampled_from(list(shapes.FORMATS)),
    noise=st.text(max_size=80),
)
def test_whatever_a_report_says_only_recipients_of_our_messages_are_suppressed(
    sent, mailbox, names, quote_id, message_n, case, fmt, noise
):
    _campaign, by = sent
    message = by[f"lead{message_n}@x.example"]
    r = returned(message, case.name, quote_headers=quote_id)
    raw = shapes.FORMATS[fmt](r)
    if names:  # the failed address replaced by what the hostile report names instead
        raw = raw.replace(message.recipient.encode(), ", ".join(names).encode("utf-8"))
    if not quote_id:
        raw = raw.replace(message.message_id.encode(), b"<gone@nowhere.example>")
    raw += noise.encode("utf-8", "replace")
    mail_receive(mailbox=mailbox, items=[(raw, START)])
    ours = {m.recipient for m in OutboundMessage.objects.filter(mailbox=mailbox)}
    assert suppressed_values(mailbox.workspace) <= ours
    # and only for a failure on the recipient's side (or repeated temporary ones): never for a
    # refusal of the sender
    not_sender = Reply.objects.filter(kind="bounce").exclude(failure="sender")
    assert suppressed_values(mailbox.workspace) <= set(
        not_sender.values_list("message__recipient", flat=True)
    )


# --- whose fault it is decides what happens --------------------------------------------------


def test_a_sender_side_refusal_never_suppresses_the_lead(sent, mailbox, alice):
    campaign, by = sent
    message = by["lead0@x.example"]
    assert (
        mail_receive_one(
            mailbox=mailbox,
            raw=shapes.postfix(returned(message, "spamhaus")),
            received_at=START,
        )
        == "bounce"
    )
    reply = Reply.objects.get()
    assert (reply.failure, reply.failure_cause, reply.permanent) == ("sender", "blocklisted", False)
    assert not is_suppressed(mailbox.workspace, "lead0@x.example")
    assert Lead.objects.get(email="lead0@x.example").status == "active"
    assert Enrollment.objects.get(lead__email="lead0@x.example").status == "active"
    assert returned_total(campaign) == 0  # the bounce guard counts only the recipients' failures


def test_the_first_sender_side_refusal_says_what_to_fix_with_a_link_to_domain_health(
    sent, mailbox, alice
):
    from django.urls import reverse

    from accounts.models import Notification

    _campaign, by = sent
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.gmail(returned(by["lead0@x.example"], "unauthenticated")),
        received_at=START,
    )
    note = Notification.objects.get(user=alice)
    assert "SPF, DKIM or DMARC" in note.title + note.body
    assert note.url == reverse("domain_detail", args=[mailbox.domain])
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.gmail(returned(by["lead1@x.example"], "unauthenticated")),
        received_at=START,
    )
    assert Notification.objects.filter(user=alice).count() == 1  # once a day per cause
    mailbox.refresh_from_db()
    assert mailbox.status == "active"


def test_repeated_sender_side_refusals_pause_the_mailbox(sent, mailbox, alice):
    from accounts.models import Notification

    _campaign, by = sent
    for n, case in enumerate(["spamhaus", "s3140", "banned_ip"]):
        mail_receive_one(
            mailbox=mailbox,
            raw=shapes.exchange(returned(by[f"lead{n}@x.example"], case)),
            received_at=START,
        )
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error"
    assert "blocklisted" in mailbox.status_reason
    assert Notification.objects.filter(user=alice, title__contains="was paused").exists()
    assert not Suppression.objects.exists()


def test_a_temporary_failure_is_not_suppressed_on_the_first(sent, mailbox):
    _campaign, by = sent
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.postfix(returned(by["lead0@x.example"], "mailbox_full")),
        received_at=START,
    )
    assert Reply.objects.get().failure == "temporary"
    assert not is_suppressed(mailbox.workspace, "lead0@x.example")


def test_a_recipient_side_failure_suppresses_marks_bounced_and_stops(sent, mailbox):
    campaign, by = sent
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.dragonfly_dma(returned(by["lead0@x.example"])),
        received_at=START,
    )
    assert is_suppressed(mailbox.workspace, "lead0@x.example")
    assert Enrollment.objects.get(lead__email="lead0@x.example").stop_reason == "bounced"
    assert returned_total(campaign) == 1


# --- a bounce believed wrong can be taken back -----------------------------------------------


@pytest.fixture
def bounced(sent, mailbox):
    _campaign, by = sent
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.postfix(returned(by["lead0@x.example"])),
        received_at=START,
    )
    return Suppression.objects.get(value="lead0@x.example")


def test_a_bounce_suppression_says_what_the_report_said(bounced):
    assert bounced.reason == "hard_bounce"
    assert bounced.note.startswith("bounced: 550 5.1.1 <lead0@x.example>")
    assert "User unknown" in bounced.note


def test_the_owner_can_remove_a_bounce_suppression_and_it_is_audited(client, alice, bounced):
    from django.urls import reverse

    from accounts.models import AuditLog

    client.force_login(alice)
    page = client.get(reverse("suppression_list")).content.decode()
    assert reverse("suppression_delete", args=[bounced.pk]) in page
    client.post(reverse("suppression_delete", args=[bounced.pk]))
    assert not Suppression.objects.filter(pk=bounced.pk).exists()
    assert Lead.objects.get(email="lead0@x.example").status == "active"
    entry = AuditLog.objects.get(action=AuditLog.Action.SUPPRESSION_REMOVED)
    assert entry.user == alice and entry.metadata["entry"] == "lead0@x.example"
    assert entry.metadata["reason"] == "hard_bounce"


def test_a_member_cannot_remove_a_bounce_suppression(client, bob, bounced):
    from django.urls import reverse

    client.force_login(bob)
    page = client.get(reverse("suppression_list")).content.decode()
    assert reverse("suppression_delete", args=[bounced.pk]) not in page
    refused = client.post(reverse("suppression_delete", args=[bounced.pk]))
    assert refused.status_code == 403  # the permission matrix: suppression.remove
    assert "This can be done by: Owner, Admin." in refused.content.decode()
    assert Suppression.objects.filter(pk=bounced.pk).exists()


def test_another_workspace_cannot_remove_a_bounce_suppression(client, charlie, bounced):
    from django.urls import reverse

    client.force_login(charlie)
    assert client.post(reverse("suppression_delete", args=[bounced.pk])).status_code == 404
    assert Suppression.objects.filter(pk=bounced.pk).exists()


# --- spam complaints from the major feedback loops --------------------------------------------


@pytest.mark.parametrize("fmt", list(shapes.COMPLAINT_FORMATS))
def test_a_feedback_loop_complaint_is_recognised_and_suppressed_as_a_complaint(sent, mailbox, fmt):
    from campaigns.inbox.receive import wanted_batch
    from tests.campaigns.inbound_mail import judged_headers

    _campaign, by = sent
    message = by["lead1@x.example"]
    raw = shapes.COMPLAINT_FORMATS[fmt](returned(message))
    assert wanted_batch(mailbox, [judged_headers(raw)]) == [True]  # the sync fetches it
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) == "complaint"
    assert Suppression.objects.get(value="lead1@x.example").reason == "complaint"
    assert suppressed_values(mailbox.workspace) == {"lead1@x.example"}
    assert Enrollment.objects.get(lead__email="lead1@x.example").stop_reason == "unsubscribed"


def test_a_redacted_complaint_without_our_message_id_suppresses_nobody(sent, mailbox):
    _campaign, by = sent
    message = by["lead1@x.example"]
    raw = shapes.aol_arf(returned(message)).replace(message.message_id.encode(), b"<x@y.example>")
    assert mail_receive_one(mailbox=mailbox, raw=raw, received_at=START) is None
    assert not Suppression.objects.exists()


def test_the_conversation_shows_whose_fault_a_bounce_is_and_what_to_fix(
    sent, mailbox, client, alice
):
    from django.urls import reverse

    _campaign, by = sent
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.exchange(returned(by["lead0@x.example"], "spamhaus")),
        received_at=START,
    )
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.postfix(returned(by["lead1@x.example"])),
        received_at=START,
    )
    client.force_login(alice)
    refusal, dead = Reply.objects.order_by("pk")
    page = client.get(reverse("inbox_thread", args=[refusal.pk])).content.decode()
    assert "refused the sender: blocklisted · 5.7.1" in page
    assert "not the lead, who was not suppressed" in page
    assert reverse("domain_detail", args=[mailbox.domain]) in page
    page = client.get(reverse("inbox_thread", args=[dead.pk])).content.decode()
    assert "the recipient&#x27;s address: unknown address · 5.1.1" in page
    assert "data-sender-side" not in page


def test_blocklist_refusals_across_a_domains_mailboxes_pause_all_of_them(
    workspace_a, mailbox, smtp_server, alice
):
    from tests.factories import sink_mailbox

    sibling = sink_mailbox(workspace_a, smtp_server, email="bob.sender@acme.example")
    elsewhere = sink_mailbox(workspace_a, smtp_server, email="carol@other.example")
    with time_machine.travel(START, tick=False):
        for box, prefix in ((mailbox, "a"), (sibling, "b"), (elsewhere, "c")):
            campaign_launch(campaign=build(workspace_a, box, n=2, steps=2, prefix=prefix))
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.postfix(returned(by["a0@x.example"], "spamhaus")),
        received_at=START,
    )
    mail_receive_one(
        mailbox=mailbox,
        raw=shapes.postfix(returned(by["a1@x.example"], "s3140")),
        received_at=START,
    )
    mail_receive_one(
        mailbox=sibling,
        raw=shapes.postfix(returned(by["b0@x.example"], "banned_ip")),
        received_at=START,
    )
    statuses = dict(
        OutboundMessage.objects.values_list("mailbox__email", "mailbox__status").distinct()
    )
    assert statuses == {
        mailbox.email: "paused_error",  # 2 of its own + 1 of its domain's: the domain's fault
        "bob.sender@acme.example": "paused_error",
        "carol@other.example": "active",
    }
    assert not Suppression.objects.exists()
