"""Notifications the outreach domain raises: each kind once, with a link where the user acts."""

import datetime

import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Notification, NotificationKind
from campaigns.inbox.receive import mail_receive_one
from campaigns.leads.imports import lead_import_create, lead_import_run, lead_import_start
from campaigns.models import Enrollment, LeadList, OutboundMessage, Reply
from campaigns.notices import campaigns_notify_finished
from campaigns.sending.billing_gate import pause_for_balance
from campaigns.sending.content_gate import campaign_hold
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail
from tests.factories import START, build, run_until


def launched(workspace, mailbox, *, n=2, steps=1):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=steps)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=3))
    return campaign


def test_an_interested_reply_is_told_once_with_a_link_to_the_thread(
    workspace_a, alice, bob, mailbox, django_capture_on_commit_callbacks
):
    campaign = launched(workspace_a, mailbox, n=1)
    sent = OutboundMessage.objects.get(enrollment__campaign=campaign)
    raw = inbound_mail.gmail_reply(sent, body="Sounds interesting, can we talk on Thursday?")
    at = START + datetime.timedelta(hours=4)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        mail_receive_one(mailbox=mailbox, raw=raw, received_at=at)
        mail_receive_one(mailbox=mailbox, raw=raw, received_at=at)  # read again: no news
    reply = Reply.objects.get()
    assert reply.label == Reply.Label.INTERESTED
    notes = Notification.objects.filter(kind=NotificationKind.INTERESTED_REPLY)
    assert sorted(notes.values_list("user__email", flat=True)) == [alice.email, bob.email]
    assert {n.url for n in notes} == {reverse("inbox_thread", args=[reply.pk])}
    # Interested replies reach everyone by email by default, once each.
    assert sorted(m.to[0] for m in mail.outbox) == [alice.email, bob.email]


def test_a_finished_campaign_is_told_once_and_not_while_leads_are_active(
    workspace_a, alice, mailbox
):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=2)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=3))
    assert Enrollment.objects.filter(campaign=campaign, status="active").exists()
    assert campaigns_notify_finished() == 0
    run_until(START + datetime.timedelta(days=2, hours=3))  # the follow-up goes out
    assert not Enrollment.objects.filter(campaign=campaign, status="active").exists()
    assert campaigns_notify_finished() == 1
    assert campaigns_notify_finished() == 0
    note = Notification.objects.get(user=alice, kind=NotificationKind.CAMPAIGN_FINISHED)
    assert campaign.name in note.title and "2 completed it" in note.body
    assert note.url == reverse("campaign_report", args=[campaign.pk])


def test_a_finished_import_tells_the_person_who_started_it(workspace_a, alice, bob):
    lead_list = LeadList.objects.create(workspace=workspace_a, name="Prospects")
    data = b"email,first_name\r\nana@x.example,Ana\r\nnot-an-address,Bo\r\n"
    imp = lead_import_create(
        workspace=workspace_a, user=bob, lead_list=lead_list, filename="l.csv", data=data
    )
    lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)
    lead_import_run(lead_import_id=imp.pk)
    lead_import_run(lead_import_id=imp.pk)  # a redelivered task
    note = Notification.objects.get(kind=NotificationKind.IMPORT_FINISHED)
    assert note.user == bob and note.level == "warning"
    assert "1 new leads" in note.title and "1 invalid" in note.body
    assert note.url == reverse("lead_import_detail", args=[imp.pk])


def test_a_campaign_paused_for_balance_is_told_with_the_report_link(
    workspace_a, alice, mailbox, django_capture_on_commit_callbacks
):
    campaign = launched(workspace_a, mailbox, n=1, steps=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert pause_for_balance(workspace_a.pk) == 1
    note = Notification.objects.get(user=alice, kind=NotificationKind.PAUSED)
    assert "out of balance" in note.title and note.level == "error"
    assert note.url == reverse("campaign_report", args=[campaign.pk])
    assert [m.to for m in mail.outbox] == [[alice.email]]  # owners get pauses by email


def test_a_campaign_held_for_review_is_told_once_a_day(workspace_a, alice, bob, mailbox):
    campaign = launched(workspace_a, mailbox, n=1, steps=2)
    for _ in range(2):
        campaign_hold(campaign=campaign, explanation="Held for review: looks like phishing.")
    notes = Notification.objects.filter(kind=NotificationKind.PAUSED)
    assert sorted(notes.values_list("user__email", flat=True)) == [alice.email, bob.email]
    assert all("phishing" in n.body for n in notes)
