"""Sending in each lead's time zone: the window and days hold on the lead's clock."""

import datetime
import zoneinfo

import pytest
import time_machine

from campaigns.inbox.receive import receive
from campaigns.models import Enrollment, Lead, OutboundMessage
from campaigns.sending.launch import campaign_launch
from tests.campaigns.inbound_mail import out_of_office
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db
ZONES = {"lead0@x.example": "Asia/Tokyo", "lead1@x.example": "America/New_York"}
CAMPAIGN_ZONE = "Europe/London"  # lead2 has no zone of its own


def local(moment: datetime.datetime, email: str) -> datetime.datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(ZONES.get(email, CAMPAIGN_ZONE)))


def assert_scheduled_in_their_windows():
    for enrollment in Enrollment.objects.select_related("lead").exclude(next_due_at=None):
        due = local(enrollment.next_due_at, enrollment.lead.email)
        assert datetime.time(9) <= due.time() < datetime.time(17), (enrollment.lead.email, due)


def launched(workspace, mailbox, **fields):
    with time_machine.travel(START, tick=False):
        campaign = build(
            workspace, mailbox, n=3, steps=2, timezone=CAMPAIGN_ZONE, send_days="01234", **fields
        )
        for email, zone in ZONES.items():
            Lead.objects.filter(email=email).update(timezone=zone)
        campaign_launch(campaign)
    return campaign


def test_each_lead_is_written_to_inside_its_own_window(workspace_a, mailbox, smtp_server):
    launched(workspace_a, mailbox, lead_time_zones=True)
    # START is Tuesday 10:00 in London, 05:00 in New York, 19:00 in Tokyo.
    first_due = {e.lead.email: e.next_due_at for e in Enrollment.objects.select_related("lead")}
    for email, due in first_due.items():
        assert datetime.time(9) <= local(due, email).time() < datetime.time(17), email
    assert local(first_due["lead0@x.example"], "lead0@x.example").date() == datetime.date(
        2026, 11, 25
    )  # Tokyo's Tuesday window is over: Wednesday morning there

    # Due now by every clock: only the lead whose window is open gets mail; the others wait
    # for theirs.
    Enrollment.objects.update(next_due_at=START)
    assert run_until(START) == 1
    assert [m.rcpt_tos for m in smtp_server.received] == [["lead2@x.example"]]
    assert_scheduled_in_their_windows()

    moment = START
    while moment < START + datetime.timedelta(days=4):
        moment += datetime.timedelta(minutes=20)
        run_until(moment)
        assert_scheduled_in_their_windows()  # follow-ups too, as soon as a step has gone
    sent = OutboundMessage.objects.filter(state="sent").select_related("step")
    assert sorted((m.recipient, m.step.position) for m in sent) == sorted(
        (f"lead{i}@x.example", step) for i in range(3) for step in (1, 2)
    )
    for message in sent:
        at = local(message.sent_at, message.recipient)
        assert datetime.time(9) <= at.time() < datetime.time(17), (message.recipient, at)
        assert at.weekday() < 5
    tokyo = sent.get(recipient="lead0@x.example", step__position=1).sent_at
    assert not 9 <= tokyo.astimezone(zoneinfo.ZoneInfo(CAMPAIGN_ZONE)).hour < 17


def test_an_out_of_office_return_date_is_read_on_the_leads_calendar(
    workspace_a, mailbox, smtp_server
):
    launched(workspace_a, mailbox, lead_time_zones=True)
    wednesday = datetime.datetime(2026, 11, 25, 1, 0, tzinfo=datetime.UTC)  # 10:00 in Tokyo
    assert run_until(wednesday) == 1
    message = OutboundMessage.objects.get(recipient="lead0@x.example")
    # Away until 3 December, so the follow-up waits for Friday 4 December, 9:00 on the lead's
    # clock. (Moved to Auckland meanwhile: 13 hours ahead of London, so reading the date on
    # the campaign's calendar would give 13:00 there.)
    Lead.objects.filter(email="lead0@x.example").update(timezone="Pacific/Auckland")
    receive(mailbox, out_of_office(message), wednesday)
    enrollment = Enrollment.objects.get(lead__email="lead0@x.example")
    due = enrollment.next_due_at.astimezone(zoneinfo.ZoneInfo("Pacific/Auckland"))
    assert due.date() == datetime.date(2026, 12, 4) and due.hour == 9


def test_without_the_option_the_campaigns_clock_rules_everyone(workspace_a, mailbox, smtp_server):
    launched(workspace_a, mailbox)
    for enrollment in Enrollment.objects.all():
        due = enrollment.next_due_at.astimezone(zoneinfo.ZoneInfo(CAMPAIGN_ZONE))
        assert due.date() == START.date() and 10 <= due.hour < 11  # from now, within the hour
