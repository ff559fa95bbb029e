"""The unified inbox pages: list, filters, conversation, labels, read state, isolation."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.inbox.receive import mail_receive_one
from campaigns.models import OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail as mail
from tests.factories import START, build, run_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def replies(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    later = START + datetime.timedelta(hours=2)
    mail_receive_one(
        mailbox=mailbox, raw=mail.gmail_reply(by["lead0@x.example"]), received_at=later
    )
    mail_receive_one(
        mailbox=mailbox, raw=mail.out_of_office(by["lead1@x.example"]), received_at=later
    )
    mail_receive_one(
        mailbox=mailbox, raw=mail.postfix_bounce(by["lead2@x.example"]), received_at=later
    )
    return campaign


def test_the_inbox_lists_filters_and_opens_a_conversation(client, alice, replies):
    client.force_login(alice)
    page = client.get(reverse("inbox")).content.decode()
    assert page.count('class="inbox-row unread"') == 3
    assert 'data-label="out_of_office"' in page and 'data-label="bounce"' in page
    only_bounces = client.get(reverse("inbox"), {"label": "bounce"}).content.decode()
    assert only_bounces.count("inbox-row") == 1 and "lead2@x.example" in only_bounces

    reply = Reply.objects.get(kind="reply")
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert thread.index("data-sent") < thread.index('data-received="reply"')
    assert "Sounds interesting" in thread and "<script>alert" not in thread
    # The formatted original, behind a disclosure: its markup kept, nothing that runs or loads.
    original = thread[thread.index('<details class="original"') :]
    original = original[: original.index("</details>")]
    assert "<div>Sounds interesting" in original and "<blockquote>Hi Lena,<br>" in original
    assert "gmail_quote" not in original  # no class attributes, so none of the sender's CSS hooks
    for inert in ("<script", "onerror", "alert(", "<img", "<style"):
        assert inert not in original
    reply.refresh_from_db()
    assert reply.read_at is not None

    client.post(reverse("inbox_label", args=[reply.pk]), {"label": "interested"})
    reply.refresh_from_db()
    assert (reply.label, reply.labelled_by_user) == ("interested", True)
    bad = client.post(reverse("inbox_label", args=[reply.pk]), {"label": "<b>x</b>"}, follow=True)
    assert "Choose one of the labels." in bad.content.decode()
    client.post(reverse("inbox_unread", args=[reply.pk]))
    reply.refresh_from_db()
    assert reply.read_at is None
    unread = client.get(reverse("inbox"), {"unread": "on", "label": "interested"})
    assert unread.content.decode().count("inbox-row") == 1


def test_another_workspace_sees_none_of_it(client, charlie, replies):
    client.force_login(charlie)
    assert "No replies yet" in client.get(reverse("inbox")).content.decode()
    reply = Reply.objects.first()
    assert client.get(reverse("inbox_thread", args=[reply.pk])).status_code == 404
    assert (
        client.post(reverse("inbox_label", args=[reply.pk]), {"label": "neutral"}).status_code
        == 404
    )
    reply.refresh_from_db()
    assert reply.label != "neutral"


def test_answer_from_the_app_in_the_thread(client, alice, replies, mailbox, smtp_server):
    from campaigns.models import SentReply
    from tests.factories import parsed

    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    before = len(smtp_server.received)
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    subject = f"Re: {reply.message.subject}"  # the A or B variant's
    assert "data-answer-form" in thread and f'value="{subject}"' in thread
    client.post(
        reverse("inbox_answer", args=[reply.pk]),
        {"subject": f"{subject}\r\nBcc: victim@evil.example", "body": "Thursday 10:00?"},
    )
    [sent] = smtp_server.received[before:]
    assert sent.rcpt_tos == ["lead0@x.example"]
    message = parsed(sent)
    assert message["Bcc"] is None
    assert message["Subject"] == f"{subject} Bcc: victim@evil.example"
    assert message["In-Reply-To"] == reply.header_message_id
    assert reply.message.message_id in message["References"]
    assert message.get_body(("plain",)).get_content().strip() == "Thursday 10:00?"
    answer = SentReply.objects.get()
    assert (answer.to, answer.sent_by) == ("lead0@x.example", alice)
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert thread.index('data-received="reply"') < thread.index("data-answered")

    bounce = Reply.objects.get(kind="bounce")
    assert (
        "data-answer-form"
        not in client.get(reverse("inbox_thread", args=[bounce.pk])).content.decode()
    )
    mailbox.status = "paused"
    mailbox.save()
    refused = client.post(
        reverse("inbox_answer", args=[reply.pk]), {"subject": "Re: x", "body": "y"}, follow=True
    )
    assert "is not active" in refused.content.decode()
    assert SentReply.objects.count() == 1


def test_home_shows_new_interested_replies(client, alice, replies):
    client.force_login(alice)
    home = client.get(reverse("dashboard")).content.decode()
    assert (
        '<dd data-count="interested"><a href="/inbox/?label=interested&amp;unread=on">1</a>' in home
    )
    client.get(reverse("inbox_thread", args=[Reply.objects.get(label="interested").pk]))
    home = client.get(reverse("dashboard")).content.decode()
    assert '?label=interested&amp;unread=on">0</a>' in home


def _rows(response) -> list[str]:
    page = response.content.decode()
    return [part.split('"', 1)[0] for part in page.split('data-reply="')[1:]]


def test_search_finds_replies_by_words_of_the_sender_and_the_mail(client, alice, replies):
    from campaigns.models import Lead

    Lead.objects.filter(email="lead1@x.example").update(last_name="Vogel", company="Globex")
    client.force_login(alice)
    inbox = reverse("inbox")
    assert _rows(client.get(inbox, {"q": "thursday"})) == ["lead0@x.example"]  # the reply text
    assert _rows(client.get(inbox, {"q": "LEAD2@x"})) == ["lead2@x.example"]  # the address
    assert _rows(client.get(inbox, {"q": "globex"})) == ["lead1@x.example"]  # the lead's company
    assert _rows(client.get(inbox, {"q": "vogel L1"})) == ["lead1@x.example"]  # every word
    assert _rows(client.get(inbox, {"q": "globex", "label": "bounce"})) == []
    nothing = client.get(inbox, {"q": "%_<script>"}).content.decode()
    assert "No reply matches these filters." in nothing and "<script>" not in nothing
    assert 'value="%_&lt;script&gt;"' in nothing  # kept in the box, escaped


def test_mark_everything_shown_as_read(client, alice, charlie, replies):
    read_all = reverse("inbox_read_all")
    client.force_login(charlie)  # another workspace's "everything" is none of alice's
    client.post(read_all, {})
    assert Reply.objects.filter(read_at__isnull=False).count() == 0

    client.force_login(alice)
    assert client.get(read_all).status_code == 405
    response = client.post(read_all, {"label": "bounce", "q": "lead2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox") + "?label=bounce&q=lead2"
    assert list(Reply.objects.filter(read_at__isnull=False).values_list("kind", flat=True)) == [
        "bounce"
    ]
    first = Reply.objects.get(kind="bounce").read_at
    client.post(read_all, {"label": "<junk>"})  # an unknown filter marks nothing
    assert Reply.objects.filter(read_at__isnull=True).count() == 2
    client.post(read_all, {})
    assert Reply.objects.filter(read_at__isnull=True).count() == 0
    assert Reply.objects.get(kind="bounce").read_at == first  # read before: when it was read


def test_a_conversation_leads_on_to_the_next_unread_reply(client, alice, replies):
    client.force_login(alice)
    by = {r.kind: r for r in Reply.objects.all()}
    Reply.objects.filter(pk=by["bounce"].pk).update(received_at=START)  # the oldest
    page = client.get(reverse("inbox_thread", args=[by["reply"].pk])).content.decode()
    assert f'href="/inbox/{by["auto_reply"].pk}/" data-next-unread' in page
    client.get(reverse("inbox_thread", args=[by["auto_reply"].pk]))
    page = client.get(reverse("inbox_thread", args=[by["reply"].pk])).content.decode()
    assert f'href="/inbox/{by["bounce"].pk}/" data-next-unread' in page
    page = client.get(reverse("inbox_thread", args=[by["bounce"].pk])).content.decode()
    assert "data-next-unread" not in page  # everything read


def test_labelling_a_reply_unsubscribe_unsubscribes_the_lead(client, alice, replies):
    from campaigns.leads.suppression import is_suppressed
    from campaigns.models import Lead

    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")  # "Sounds interesting…": not suppressed
    workspace = replies.workspace
    assert not is_suppressed(workspace, "lead0@x.example")
    response = client.post(
        reverse("inbox_label", args=[reply.pk]), {"label": "unsubscribe"}, follow=True
    )
    assert "lead0@x.example will not be mailed again" in response.content.decode()
    assert is_suppressed(workspace, "lead0@x.example")
    assert Lead.objects.get(email="lead0@x.example").status == "unsubscribed"
    assert reply.message.events.filter(kind="unsubscribe").count() == 1
    client.post(reverse("inbox_label", args=[reply.pk]), {"label": "unsubscribe"})
    assert reply.message.events.filter(kind="unsubscribe").count() == 1  # once
    back = client.post(
        reverse("inbox_label", args=[reply.pk]), {"label": "interested"}, follow=True
    ).content.decode()
    assert is_suppressed(workspace, "lead0@x.example")  # a label never lifts a suppression
    assert "Label saved." in back


def test_the_relabel_form_offers_the_workspaces_own_labels(client, alice, replies):
    from ai.models import CustomLabel

    CustomLabel.objects.create(workspace=replies.workspace, name="referral",
                               description="points us to a colleague")  # fmt: skip
    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert '<option value="referral"' in thread and '<option value="interested"' in thread
    response = client.post(reverse("inbox_label", args=[reply.pk]), {"label": "referral"},
                           follow=True)  # fmt: skip
    assert "Label saved." in response.content.decode()
    reply.refresh_from_db()
    assert (reply.label, reply.labelled_by_user) == ("referral", True)
    listed = client.get(reverse("inbox"), {"label": "referral"}).content.decode()
    assert listed.count("inbox-row") == 1 and 'data-label="referral"' in listed


def test_another_workspaces_labels_are_not_offered_nor_accepted(client, alice, replies,
                                                                workspace_b):  # fmt: skip
    from ai.models import CustomLabel

    CustomLabel.objects.create(workspace=workspace_b, name="partner", description="theirs")
    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    thread = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert 'value="partner"' not in thread
    refused = client.post(reverse("inbox_label", args=[reply.pk]), {"label": "partner"},
                          follow=True)  # fmt: skip
    assert "Choose one of the labels." in refused.content.decode()
    reply.refresh_from_db()
    assert reply.label != "partner"


def test_a_custom_label_has_no_effect_of_its_own(client, alice, replies):
    """Only the built-in "unsubscribe" unsubscribes; leaving it for a custom label lifts nothing."""
    from ai.models import CustomLabel
    from campaigns.leads.suppression import is_suppressed

    CustomLabel.objects.create(workspace=replies.workspace, name="later", description="not now")
    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    client.post(reverse("inbox_label", args=[reply.pk]), {"label": "later"})
    assert not is_suppressed(replies.workspace, "lead0@x.example")
    client.post(reverse("inbox_label", args=[reply.pk]), {"label": "unsubscribe"})
    client.post(reverse("inbox_label", args=[reply.pk]), {"label": "later"})
    assert is_suppressed(replies.workspace, "lead0@x.example")


def test_an_answer_to_a_suppressed_address_is_refused(client, alice, replies, smtp_server):
    from campaigns.leads.suppression import suppression_add
    from campaigns.models import SentReply

    suppression_add(workspace=replies.workspace, entry="lead0@x.example")
    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    before = len(smtp_server.received)
    refused = client.post(
        reverse("inbox_answer", args=[reply.pk]), {"subject": "Re: x", "body": "y"}, follow=True
    )
    assert "lead0@x.example is on the suppression list" in refused.content.decode()
    assert len(smtp_server.received) == before and not SentReply.objects.exists()


def test_a_suppressed_domain_refuses_the_answer_too(client, alice, replies, smtp_server):
    from campaigns.leads.suppression import suppression_add

    suppression_add(workspace=replies.workspace, entry="@x.example")
    client.force_login(alice)
    reply = Reply.objects.get(kind="reply")
    before = len(smtp_server.received)
    client.post(reverse("inbox_answer", args=[reply.pk]), {"subject": "Re: x", "body": "y"})
    assert len(smtp_server.received) == before
