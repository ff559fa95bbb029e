"""A reply's new text: quoted history, quote headers of every configured language, Outlook
blocks, forwarded blocks, HTML quote containers, signatures and our own footer removed."""

import datetime
import email
import email.policy

import pytest
import time_machine

from campaigns.inbox.mail_reading import bodies, new_text
from campaigns.inbox.quotes import footer_lines_of
from campaigns.inbox.receive import receive
from campaigns.leads.suppression import is_suppressed
from campaigns.models import Lead, OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from tests.campaigns.pipeline import START, build, run_until

ANSWER = "Sounds good, call me on Thursday."
TEMPLATE = (
    "Hi Lena,\nA short note about our idea.\n"
    "Not interested? Unsubscribe and I will not write again."
)


def test_bare_quoted_lines_are_removed():
    quoted = "\n".join(f"> {line}" for line in TEMPLATE.splitlines())
    assert new_text(f"{ANSWER}\n\n{quoted}\n") == ANSWER


@pytest.mark.parametrize(
    "header",
    [
        "On Tue, Nov 24, 2026 at 11:00 AM Alice from Acme <sender@acme.example> wrote:",
        "Am Di., 24. Nov. 2026 um 11:00 Uhr schrieb Alice from Acme <sender@acme.example>:",
        "Le mar. 24 nov. 2026 à 11:00, Alice from Acme <sender@acme.example> a écrit :",
        "El mar, 24 nov 2026 a las 11:00, Alice from Acme (<sender@acme.example>) escribió:",
        "Il giorno mar 24 nov 2026 alle ore 11:00 Alice <sender@acme.example> ha scritto:",
        "Op di 24 nov. 2026 om 11:00 schreef Alice from Acme <sender@acme.example>:",
        "W dniu wt., 24.11.2026 o 11:00 Alice from Acme <sender@acme.example> pisze:",
        "Em ter., 24 de nov. de 2026 às 11:00, Alice <sender@acme.example> escreveu:",
        "Den tis 24 nov. 2026 kl 11:00 skrev Alice from Acme <sender@acme.example>:",
        "On 24 Nov 2026, at 11:00, Alice from Acme <sender@acme.example> wrote:",  # Apple Mail
        "On 24/11/2026 11:00, Alice from Acme wrote:",  # Thunderbird
    ],
)
def test_the_quote_header_of_each_language_ends_the_new_text(header):
    assert new_text(f"{ANSWER}\n\n{header}\n\n{TEMPLATE}\n") == ANSWER


def test_a_quote_header_wrapped_over_two_lines_ends_the_new_text():
    reply = (
        f"{ANSWER}\n\nOn Tue, Nov 24, 2026 at 11:00 AM Alice from Acme <\n"
        f"sender@acme.example> wrote:\n\n{TEMPLATE}\n"
    )
    assert new_text(reply) == ANSWER


@pytest.mark.parametrize(
    ("sender", "sent"),
    [("From", "Sent"), ("Von", "Gesendet"), ("De", "Envoyé"), ("De", "Enviado"),
     ("Da", "Inviato"), ("Van", "Verzonden"), ("Od", "Wysłano"), ("Från", "Skickat")],
)  # fmt: skip
def test_an_outlook_header_block_ends_the_new_text(sender, sent):
    block = (
        f"{sender}: Alice from Acme <sender@acme.example>\n{sent}: Tuesday, 24 November 2026 "
        "11:00\nTo: lena@x.example\nSubject: Idea\n"
    )
    assert new_text(f"{ANSWER}\n\n{block}\n{TEMPLATE}\n") == ANSWER


@pytest.mark.parametrize(
    "separator",
    ["-----Original Message-----", "---------- Forwarded message ---------",
     "________________________________", "Begin forwarded message:",
     "-------- Ursprüngliche Nachricht --------"],
)  # fmt: skip
def test_original_and_forwarded_blocks_end_the_new_text(separator):
    assert new_text(f"{ANSWER}\n\n{separator}\n{TEMPLATE}\n") == ANSWER


@pytest.mark.parametrize(
    "signature",
    ["-- \nLena Vogel\nHead of Operations", "Best regards,\nLena Vogel\nHead of Operations",
     "Met vriendelijke groet,\nLena Vogel", "Pozdrawiam,\nLena", "Sent from my iPhone"],
)  # fmt: skip
def test_signatures_are_removed(signature):
    assert new_text(f"{ANSWER}\n\n{signature}\n") == ANSWER


def test_a_closing_thanks_that_is_the_last_word_is_kept():
    assert new_text(f"{ANSWER}\nThanks!\n") == f"{ANSWER}\nThanks!"


def test_a_bottom_posted_answer_is_kept_without_the_quote():
    reply = f"On 24/11/2026 11:00, Alice from Acme wrote:\n> Hi Lena,\n> idea\n\n{ANSWER}\n"
    assert new_text(reply) == ANSWER


def test_our_footer_line_is_never_the_leads_words():
    footer = footer_lines_of("Not interested? Unsubscribe and I will not write again.")
    reply = f"{ANSWER}\nNot interested? Unsubscribe and I will not write again.\n"
    assert new_text(reply, footer_lines=footer) == ANSWER


@pytest.mark.parametrize(
    "quote",
    ['<div class="gmail_quote"><div class="gmail_attr">On Tue, Alice wrote:</div>'
     "<blockquote>{t}</blockquote></div>",
     '<hr style="display:inline-block"><div id="divRplyFwdMsg"><b>From:</b> Alice</div>'
     "<div>{t}</div>",
     '<div id="appendonsend"></div><hr><div>{t}</div>',
     '<div class="moz-cite-prefix">On 24/11/2026 Alice wrote:</div>'
     '<blockquote type="cite">{t}</blockquote>'],
)  # fmt: skip
def test_html_only_replies_lose_their_quoted_containers(quote):
    html = f"<div dir='ltr'>{ANSWER}</div>" + quote.format(t=TEMPLATE.replace("\n", "<br>"))
    raw = f"Content-Type: text/html; charset=utf-8\n\n{html}\n".encode()
    text, _html = bodies(email.message_from_bytes(raw, policy=email.policy.compat32))
    assert new_text(text) == ANSWER


@pytest.mark.django_db
def test_a_positive_dutch_reply_quoting_our_footer_does_not_unsubscribe(
    workspace_a, mailbox, smtp_server
):
    with time_machine.travel(START, tick=False):
        campaign_launch(build(workspace_a, mailbox, n=1, steps=2))
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    sent = OutboundMessage.objects.get()
    raw = (
        f"From: Lena <{sent.recipient}>\nTo: {mailbox.email}\nSubject: Re: {sent.subject}\n"
        f"In-Reply-To: {sent.message_id}\nMessage-ID: <nl-1@x.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Ja, graag! Laten we donderdag bellen.\n\n"
        f"Op di 24 nov. 2026 om 11:00 schreef Alice <{mailbox.email}>:\n\n"
        "> Hi L0\n>\n> Not interested? Unsubscribe and I will not write again.\n"
    ).encode()
    assert receive(mailbox, raw, START + datetime.timedelta(hours=3)) == "reply"
    reply = Reply.objects.get()
    assert reply.text == "Ja, graag! Laten we donderdag bellen."
    assert reply.label != "unsubscribe"
    assert not is_suppressed(workspace_a, sent.recipient)
    assert Lead.objects.get().status == "replied"
