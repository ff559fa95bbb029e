"""The mailbox's signature: `{{signature}}` in a campaign body, and under answers from the inbox.

A campaign rotates mailboxes, so the signature is the sending mailbox's, message by message:
its HTML in the HTML part (links tracked like the body's), its plain text in the text part.
"""

import datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.authoring.services import lead_values, variant_save
from campaigns.authoring.templating import HEADER, HTML, TEXT, Formatted, parse
from campaigns.inbox.receive import receive
from campaigns.models import OutboundMessage, Reply, Variant
from campaigns.sending.launch import campaign_launch, launch_problems
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import START, build, parsed, run_until
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = pytest.mark.django_db

SIGNATURE_HTML = (
    '<p><b>Alice Smith</b> · Acme<br><a href="https://acme.example/about">acme.example</a></p>'
)


def test_a_formatted_value_keeps_its_html_in_html_and_its_text_elsewhere():
    value = Formatted("Alice <Acme>\nacme.example", html="<b>Alice</b> &lt;Acme&gt;")
    template = parse("Hi,{{signature}}")
    assert template.render({"signature": value}, mode=HTML) == "Hi,<b>Alice</b> &lt;Acme&gt;"
    assert template.render({"signature": value}, mode=TEXT) == "Hi,Alice <Acme>\nacme.example"
    assert template.render({"signature": value}, mode=HEADER) == "Hi,Alice <Acme> acme.example"
    assert template.render({"signature": "<b>x</b>"}, mode=HTML) == "Hi,&lt;b&gt;x&lt;/b&gt;"


def test_the_signature_from_either_field(workspace_a, mailbox):
    mailbox.signature_html, mailbox.signature_text = SIGNATURE_HTML, ""
    signature = lead_values(None, sender=mailbox)["signature"]
    assert signature.html == SIGNATURE_HTML
    assert str(signature) == "Alice Smith · Acme\nacme.example (https://acme.example/about)"
    mailbox.signature_html, mailbox.signature_text = "", "Alice <Smith>\n+1 555 0100"
    signature = lead_values(None, sender=mailbox)["signature"]
    assert signature.html == "Alice &lt;Smith&gt;<br>+1 555 0100"  # the text, as HTML
    mailbox.signature_text = ""
    assert lead_values(None, sender=mailbox)["signature"] == ""  # none: a fallback applies


def test_each_mailbox_signs_what_it_sends(workspace_a, mailbox, smtp_server):
    other = sink_mailbox(
        workspace_a, smtp_server, email="bob@acme.example", daily_cap=1000, hourly_cap=1000
    )
    mailbox.signature_html = SIGNATURE_HTML
    mailbox.save()
    other.signature_text = "Bob\nSales, Acme"
    other.save()
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=6, steps=1, track_clicks=True)
        campaign.mailboxes.add(other)
        for variant in Variant.objects.filter(step__campaign=campaign):
            variant_save(
                variant=variant,
                subject=variant.subject,
                body_html="<p>Hi {{first_name}}</p>{{signature|Acme}}",
                weight=1,
            )
        assert not launch_problems(campaign)  # a system field: no lead needs it
        campaign_launch(campaign)
    before = len(smtp_server.received)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    received = smtp_server.received[before:]
    assert len(received) == 6
    senders = set()
    for message in map(parsed, received):
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        if "bob@acme.example" not in message["From"]:
            senders.add("alice")
            assert "<b>Alice Smith</b> · Acme" in html and "Alice Smith · Acme" in text
            assert "https://acme.example/about" not in html  # the link is tracked
            assert "/t/c/" in html
        else:
            senders.add("bob")
            assert "Bob<br>Sales, Acme" in html and "Bob\nSales, Acme" in text.replace("\r", "")
    assert senders == {"alice", "bob"}
    stored = OutboundMessage.objects.get(recipient="lead0@x.example")
    assert "signature" not in stored.body_text  # the value, never the field's name


def test_answers_from_the_inbox_are_signed(client, alice, workspace_a, mailbox, smtp_server):
    mailbox.signature_text = "Alice\nAcme"
    mailbox.save()
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    sent = OutboundMessage.objects.get()
    receive(mailbox, mail.gmail_reply(sent), START + datetime.timedelta(hours=2))
    reply = Reply.objects.get()
    client.force_login(alice)
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert "Your signature from sender@acme.example is added below your answer." in thread
    before = len(smtp_server.received)
    client.post(reverse("inbox_answer", args=[reply.pk]), {"subject": "Re: x", "body": "Sure."})
    [answer] = smtp_server.received[before:]
    message = parsed(answer)
    assert message.get_body(("plain",)).get_content().replace("\r", "") == "Sure.\n\nAlice\nAcme"
    assert "<p>Sure.</p><p>Alice<br>Acme</p>" in message.get_body(("html",)).get_content()
    assert reply.answers.get().body_text == "Sure."  # what the user wrote, as they wrote it


def test_the_mailbox_form_says_where_the_signature_goes(client, alice, mailbox):
    client.force_login(alice)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    hint = page[page.index("data-signature-hint") :]
    assert "<code>{{signature}}</code>" in hint[: hint.index("</p>")]
