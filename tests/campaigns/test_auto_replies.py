"""Auto-replies are recognised before a null Return-Path is read as a bounce, and an
out-of-office's return date still moves the lead's next follow-up."""

import datetime

import pytest
import time_machine

from campaigns.inbox.receive import receive
from campaigns.leads.suppression import is_suppressed
from campaigns.models import Enrollment, OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return {m.recipient: m for m in OutboundMessage.objects.all()}


def auto_reply(message, *, subject: str, headers: str = "", body: str = "") -> bytes:
    return (
        (
            "Return-Path: <>\n"
            f"From: Lena Vogel <{message.recipient}>\n"
            f"To: {message.mailbox.email}\n"
            f"Subject: {subject} {message.subject}\n"
            f"In-Reply-To: {message.message_id}\n"
            f"References: {message.message_id}\n"
            f"Message-ID: <auto-{message.pk}-{abs(hash(subject))}@x.example>\n"
            "Date: Tue, 24 Nov 2026 11:05:00 +0000\n"
            f"{headers}"
            "Content-Type: text/plain; charset=utf-8\n\n"
            f"{body or 'I am out of the office until 3 December 2026 with no access to email.'}\n"
        )
        .replace("\n", "\r\n")
        .encode()
    )


def test_an_exchange_automatic_reply_with_a_null_return_path_is_an_auto_reply(sent, mailbox):
    message = sent["lead0@x.example"]
    raw = auto_reply(
        message,
        subject="Automatic reply:",
        headers="X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: "
        "lead0@x.example\nThread-Topic: Idea\n",
    )
    assert receive(mailbox, raw, START + datetime.timedelta(hours=2)) == "auto_reply"
    reply = Reply.objects.get()
    assert reply.label == "out_of_office"
    assert not is_suppressed(mailbox.workspace, "lead0@x.example")
    enrollment = Enrollment.objects.get(lead__email="lead0@x.example")
    assert enrollment.status == "active"
    assert enrollment.next_due_at.date() >= datetime.date(2026, 12, 4)  # after the return


def test_a_gmail_vacation_reply_is_an_auto_reply(sent, mailbox):
    raw = auto_reply(
        sent["lead1@x.example"], subject="Re:", headers="Auto-Submitted: auto-replied\n"
    )
    assert receive(mailbox, raw, START + datetime.timedelta(hours=2)) == "auto_reply"


@pytest.mark.parametrize(
    "prefix",
    ["Automatic reply:", "Automatische Antwort:", "Réponse automatique :",
     "Respuesta automática:", "Risposta automatica:", "Automatisch antwoord:",
     "Odpowiedź automatyczna:", "Resposta automática:", "Autosvar:"],
)  # fmt: skip
def test_the_subject_prefix_of_each_language_makes_an_auto_reply(sent, mailbox, prefix):
    raw = auto_reply(sent["lead2@x.example"], subject=prefix, body="Back on Monday.")
    assert receive(mailbox, raw, START + datetime.timedelta(hours=2)) == "auto_reply"
    assert not is_suppressed(mailbox.workspace, "lead2@x.example")


def test_a_null_return_path_without_auto_reply_signs_is_still_read_as_a_bounce(sent, mailbox):
    message = sent["lead2@x.example"]
    raw = auto_reply(message, subject="Re:", body=f"<{message.recipient}>: 550 5.1.1 unknown user")
    assert receive(mailbox, raw, START + datetime.timedelta(hours=2)) == "bounce"
