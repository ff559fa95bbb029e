"""A reply's label: the offline rules at receive time, refined by the workspace's AI provider in
a task (label, confidence, reason shown in the inbox); a person's relabel always wins."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from ai.models import CustomLabel
from campaigns.inbox.receive import receive
from campaigns.inbox.services import reply_refine_label, reply_relabel
from campaigns.leads.suppression import is_suppressed
from campaigns.models import OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db
LATER = START + datetime.timedelta(hours=3)


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign_launch(build(workspace_a, mailbox, n=2, steps=1))
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return OutboundMessage.objects.get(recipient="lead0@x.example")


def test_without_a_remote_provider_only_the_rules_label(
    sent, mailbox, fake_openai, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive(mailbox, mail.gmail_reply(sent), LATER)
    reply = Reply.objects.get()
    assert (reply.label, reply.label_provider) == ("interested", "")
    assert fake_openai.requests == []


def test_the_ai_refines_the_label_in_a_task_with_confidence_and_reason(
    sent, mailbox, openai_workspace, fake_openai, django_capture_on_commit_callbacks
):
    fake_openai.answers.append({"label": "not_interested", "confidence": 0.83,
                                "reason": "Politely declines for this year."})  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        receive(mailbox, mail.gmail_reply(sent, body="Maybe next year, thanks."), LATER)
    reply = Reply.objects.get()
    assert (reply.label, reply.label_provider, reply.label_confidence) == (
        "not_interested", "openai", 0.83)  # fmt: skip
    assert reply.label_reason == "Politely declines for this year."
    assert "lead0@x.example" not in fake_openai.bodies[0] and "L0" not in fake_openai.bodies[0]


def test_a_persons_relabel_wins_over_the_ai(sent, mailbox, openai_workspace, fake_openai):
    receive(mailbox, mail.gmail_reply(sent), LATER)  # (the task is not run: on_commit)
    reply = Reply.objects.get()
    reply_relabel(reply, "neutral")
    assert reply_refine_label(reply_id=reply.pk) is False
    reply.refresh_from_db()
    assert (reply.label, reply.labelled_by_user) == ("neutral", True)
    assert fake_openai.requests == []


def test_a_refined_unsubscribe_unsubscribes_as_a_relabel_does(sent, mailbox, openai_workspace,
                                                              fake_openai):  # fmt: skip
    receive(mailbox, mail.gmail_reply(sent, body="Please take this address off."), LATER)
    fake_openai.answers.append({"label": "unsubscribe", "confidence": 0.9, "reason": "Asks out."})
    reply = Reply.objects.get()
    assert reply_refine_label(reply_id=reply.pk)
    assert is_suppressed(sent.enrollment.campaign.workspace, "lead0@x.example")


def test_custom_labels_are_offered_to_the_ai(sent, mailbox, openai_workspace, fake_openai):
    CustomLabel.objects.create(workspace=openai_workspace, name="referral",
                               description="Points us to a colleague")  # fmt: skip
    receive(mailbox, mail.gmail_reply(sent, body="Talk to my colleague Sam instead."), LATER)
    fake_openai.answers.append({"label": "referral", "confidence": 0.77, "reason": "Refers."})
    reply = Reply.objects.get()
    reply_refine_label(reply_id=reply.pk)
    assert "Points us to a colleague" in fake_openai.bodies[0]
    reply.refresh_from_db()
    assert reply.label == "referral"


def test_the_inbox_shows_who_labelled_with_confidence_and_reason(
    client, alice, sent, mailbox, openai_workspace, fake_openai
):
    receive(mailbox, mail.gmail_reply(sent), LATER)
    fake_openai.answers.append({"label": "interested", "confidence": 0.94,
                                "reason": "Proposes Thursday for a call."})  # fmt: skip
    reply = Reply.objects.get()
    reply_refine_label(reply_id=reply.pk)
    client.force_login(alice)
    page = client.get(reverse("inbox_thread", args=[reply.pk])).content.decode()
    assert "Labelled by Openai (confidence 0.94):" in page
    assert "Proposes Thursday for a call." in page
