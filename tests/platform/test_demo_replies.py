"""The demo's leads answer: real mail through the catcher, read back over IMAP by the real sync."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

import postigo.urls  # noqa: F401  (imported with DEBUG off: no dev URLs for later tests)
from campaigns.models import Campaign, Enrollment, Lead, OutboundMessage, Reply, Suppression
from campaigns.sending.launch import campaign_launch
from postigo.demo_replies import DemoReply, DemoReplyError, demo_reply_send
from postigo.mailcatcher import MailCatcher
from tests.factories import free_port, run_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    """`make run`'s demo, launched ten minutes ago through a catcher of its own."""
    settings.DEBUG = True  # as make run has it, with what follows from it:
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = settings.MAILBOX_ALLOW_PLAINTEXT = True
    settings.VAR_DIR = tmp_path
    settings.MAIL_CATCHER_PORT, settings.MAIL_CATCHER_IMAP_PORT = free_port(), free_port()
    settings.MAIL_CATCHER_DIR = tmp_path / "mail"
    settings.ROOT_URLCONF = "tests.platform.dev_mail_urls"
    catcher = MailCatcher(
        mail_dir=tmp_path / "mail",
        smtp_port=settings.MAIL_CATCHER_PORT,
        imap_dir=tmp_path / "imap",
        imap_port=settings.MAIL_CATCHER_IMAP_PORT,
    )
    catcher.start()
    launched = timezone.now() - datetime.timedelta(minutes=10)
    with time_machine.travel(launched, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        campaign_launch(campaign=Campaign.objects.get())
    yield launched
    catcher.stop()


def sent_by(moment) -> int:
    run_until(moment)
    return OutboundMessage.objects.filter(state="sent").count()


def sent_messages(launched, n: int) -> list[OutboundMessage]:
    """Beat's ticks, every 15 s after launch, until `n` messages went out."""
    for seconds in range(15, 9 * 60, 15):
        if sent_by(launched + datetime.timedelta(seconds=seconds)) >= n:
            break
    messages = list(OutboundMessage.objects.filter(state="sent").order_by("pk")[:n])
    assert len(messages) == n
    return messages


def test_the_first_demo_email_leaves_within_a_minute_of_launch(demo):
    launched = demo
    # Beat ticks every 15 s; every lead is due within 30 s of launch, the mailbox has no warm-up
    # and the window is open all day: whatever the draw, the first email is out at 45 s.
    for seconds in (15, 30, 45):
        sent = sent_by(launched + datetime.timedelta(seconds=seconds))
    assert sent >= 1


def test_an_interested_answer_is_read_back_labelled_and_stops_the_follow_up(
    demo, django_capture_on_commit_callbacks
):
    [message] = sent_messages(demo, 1)
    with django_capture_on_commit_callbacks(execute=True):  # the sync queued after delivery
        demo_reply_send(message=message, kind=DemoReply.INTERESTED)
    reply = Reply.objects.get(message=message)
    assert reply.kind == Reply.Kind.REPLY and reply.label == "interested"
    enrollment = Enrollment.objects.get(pk=message.enrollment_id)
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "replied")


def test_an_out_of_office_pauses_the_lead_until_the_day_after_its_return(
    demo, django_capture_on_commit_callbacks
):
    [message] = sent_messages(demo, 1)
    with django_capture_on_commit_callbacks(execute=True):
        demo_reply_send(message=message, kind=DemoReply.OUT_OF_OFFICE)
    assert Reply.objects.get(message=message).kind == Reply.Kind.AUTO_REPLY
    enrollment = Enrollment.objects.get(pk=message.enrollment_id)
    assert enrollment.status == "active"
    assert enrollment.next_due_at.date() > (timezone.now() + datetime.timedelta(days=5)).date()


def test_a_request_to_be_removed_unsubscribes_the_lead(demo, django_capture_on_commit_callbacks):
    [message] = sent_messages(demo, 1)
    with django_capture_on_commit_callbacks(execute=True):
        demo_reply_send(message=message, kind=DemoReply.UNSUBSCRIBE)
    assert Suppression.objects.filter(value=message.recipient, reason="unsubscribed").exists()
    enrollment = Enrollment.objects.get(pk=message.enrollment_id)
    assert enrollment.status == "stopped"


def test_a_bounce_marks_the_lead_bounced_and_suppresses_it(
    demo, django_capture_on_commit_callbacks
):
    [message] = sent_messages(demo, 1)
    message.subject = "Short question about Carré Finance"  # its headers come back, encoded
    message.save(update_fields=["subject"])
    with django_capture_on_commit_callbacks(execute=True):
        demo_reply_send(message=message, kind=DemoReply.BOUNCE)
    assert Lead.objects.get(email=message.recipient).status == Lead.Status.BOUNCED
    assert Suppression.objects.filter(value=message.recipient, reason="hard_bounce").exists()
    enrollment = Enrollment.objects.get(pk=message.enrollment_id)
    assert (enrollment.status, enrollment.stop_reason) == ("stopped", "bounced")


def test_a_message_not_sent_yet_cannot_be_answered(demo):
    message = OutboundMessage.objects.create(
        enrollment=Enrollment.objects.first(),
        step=Campaign.objects.get().steps.first(),
        mailbox=Enrollment.objects.first().mailbox,
        recipient="x@y.example",
    )
    with pytest.raises(DemoReplyError):
        demo_reply_send(message=message, kind=DemoReply.INTERESTED)


def caught_name(message: OutboundMessage, settings) -> str:
    for path in settings.MAIL_CATCHER_DIR.glob("*.eml"):
        if message.message_id in path.read_text():
            return path.name
    raise AssertionError("not caught")


def test_the_mail_viewer_offers_the_answers_and_sends_the_chosen_one(
    demo, client, settings, django_capture_on_commit_callbacks
):
    [message] = sent_messages(demo, 1)
    name = caught_name(message, settings)
    page = client.get(f"/dev/mail/{name}/", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "Make this lead answer" in page and 'value="bounce"' in page
    with django_capture_on_commit_callbacks(execute=True):
        answered = client.post(
            f"/dev/mail/{name}/reply/", {"kind": "interested"}, REMOTE_ADDR="127.0.0.1"
        )
    assert answered.status_code == 302
    assert Reply.objects.get(message=message).label == "interested"


def test_nobody_else_on_the_network_can_make_a_lead_answer(demo, client, settings):
    [message] = sent_messages(demo, 1)
    name = caught_name(message, settings)
    refused = client.post(
        f"/dev/mail/{name}/reply/", {"kind": "interested"}, REMOTE_ADDR="192.168.1.20"
    )
    assert refused.status_code == 404
    assert not Reply.objects.exists()


def test_answers_arriving_one_after_the_other_are_each_read(
    demo, django_capture_on_commit_callbacks
):
    first, second = sent_messages(demo, 2)
    with django_capture_on_commit_callbacks(execute=True):  # a sync after each delivery
        demo_reply_send(message=first, kind=DemoReply.INTERESTED)
    with django_capture_on_commit_callbacks(execute=True):
        demo_reply_send(message=second, kind=DemoReply.UNSUBSCRIBE)
    assert sorted(Reply.objects.values_list("message_id", flat=True)) == [first.pk, second.pk]
