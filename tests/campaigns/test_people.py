"""A campaign's People page: where each lead is, and interrupted sends taken as delivered."""

import csv
import datetime
import io
import re
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.inbox.receive import receive
from campaigns.leads.suppression import suppression_add
from campaigns.lifecycle import enrollments_continue, messages_recover_interrupted
from campaigns.models import Enrollment, Lead, OutboundMessage, Reply
from campaigns.reports import people
from campaigns.reports.people import EXPORT_HEADER
from campaigns.sending.dispatch import claim_for_mailbox
from campaigns.sending.launch import campaign_launch
from tests.campaigns.inbound_mail import gmail_reply
from tests.campaigns.pipeline import (
    START,
    build,
    interrupted_after_delivery,
    parsed,
    run_until,
    track,
)

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def rows(page: str) -> dict[str, str]:
    """The people table: each lead's row text, whitespace folded."""
    found = re.findall(r'<tr data-person="([^"]+)">(.*?)</tr>', page, re.S)
    return {email: " ".join(re.sub(r"<[^>]+>", " ", row).split()) for email, row in found}


def filters(page: str) -> dict[str, str]:
    found = re.findall(r'data-filter="([^"]*)">([^<]+)<span class="count">([^<]+)<', page)
    return {key: count for key, _label, count in found}


def first_step_sent(workspace, mailbox, n: int):
    """A launched two-step campaign of n leads whose first step has gone out."""
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=2)
        campaign_launch(campaign)
    run_until(START + HOUR + datetime.timedelta(minutes=1))
    return campaign


def test_the_page_shows_where_each_lead_is_with_a_fixed_number_of_queries(
    client, alice, workspace_a, mailbox, smtp_server
):
    campaign = first_step_sent(workspace_a, mailbox, 4)
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    track(by["lead0@x.example"])
    receive(mailbox, gmail_reply(by["lead1@x.example"]), START + 2 * HOUR)
    suppression_add(workspace=workspace_a, entry="lead2@x.example", reason="unsubscribed")
    run_until(START + datetime.timedelta(days=2))  # lead2's follow-up meets the suppression

    client.force_login(alice)
    url = reverse("campaign_people", args=[campaign.pk])
    with CaptureQueriesContext(connection) as small:
        page = client.get(url).content.decode()
    people = rows(page)
    assert set(people) == {f"lead{i}@x.example" for i in range(4)}
    assert "Step 2 of 2 sent" in people["lead0@x.example"]
    assert "Opened" in people["lead0@x.example"] and "Finished" in people["lead0@x.example"]
    assert "Step 1 of 2 sent" in people["lead1@x.example"]
    assert "Replied" in people["lead1@x.example"] and "replied" in people["lead1@x.example"]
    assert "Stopped suppressed" in people["lead2@x.example"]
    assert filters(page) == {"": "4", "completed": "2", "replied": "1", "unsubscribed": "1"}

    replied = client.get(url, {"status": "replied"}).content.decode()
    assert list(rows(replied)) == ["lead1@x.example"]
    searched = client.get(url, {"q": "lead3"}, headers={"HX-Request": "true"}).content.decode()
    assert list(rows(searched)) == ["lead3@x.example"] and "<aside" not in searched

    with time_machine.travel(START, tick=False):
        bigger = build(workspace_a, mailbox, n=30, steps=2, prefix="more")
        campaign_launch(bigger)
    run_until(START + datetime.timedelta(days=2))
    with CaptureQueriesContext(connection) as large:
        page = client.get(reverse("campaign_people", args=[bigger.pk])).content.decode()
    assert len(rows(page)) == 30
    assert len(large.captured_queries) == len(small.captured_queries)


def export(client, campaign, **query) -> list[dict[str, str]]:
    response = client.get(reverse("campaign_people_export", args=[campaign.pk]), query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_people_of_a_filter_download_as_csv_a_chunk_at_a_time(
    client, alice, workspace_a, mailbox, smtp_server, monkeypatch
):
    campaign = first_step_sent(workspace_a, mailbox, 4)
    Lead.objects.filter(email="lead3@x.example").update(company='=HYPERLINK("http://e.example")')
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    track(by["lead0@x.example"])
    receive(mailbox, gmail_reply(by["lead1@x.example"]), START + 2 * HOUR)
    run_until(START + datetime.timedelta(days=2))
    campaign.timezone = "America/New_York"  # the times are written in the campaign's zone
    campaign.save()
    client.force_login(alice)

    everyone = export(client, campaign)
    assert list(everyone[0]) == EXPORT_HEADER
    assert [row["email"] for row in everyone] == [f"lead{i}@x.example" for i in range(4)]
    rows = {row["email"]: row for row in everyone}
    opened, answered = OutboundMessage.objects.get(pk=by["lead0@x.example"].pk), Reply.objects.get()
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert rows["lead0@x.example"] | {"first_opened_at": opened.opened_at.astimezone(new_york)
        .isoformat(timespec="seconds")} == rows["lead0@x.example"]  # fmt: skip
    assert rows["lead0@x.example"]["first_opened_at"].endswith("-05:00")
    assert (rows["lead0@x.example"]["status"], rows["lead0@x.example"]["last_step"]) == (
        "completed",
        "2",
    )
    assert rows["lead0@x.example"]["steps_sent"] == "2"
    first_variant = by["lead0@x.example"].variant.label
    assert rows["lead0@x.example"]["variants"] == f"1{first_variant} 2A"
    assert rows["lead0@x.example"]["mailbox"] == mailbox.email
    replied = rows["lead1@x.example"]
    assert (replied["status"], replied["stop_reason"]) == ("stopped", "replied")
    assert replied["last_reply_label"] == answered.label != ""
    assert replied["first_replied_at"] and not replied["first_opened_at"]
    assert rows["lead3@x.example"]["company"] == '\'=HYPERLINK("http://e.example")'

    assert [row["email"] for row in export(client, campaign, status="replied")] == [
        "lead1@x.example"
    ]
    assert [row["email"] for row in export(client, campaign, q="lead2")] == ["lead2@x.example"]
    assert export(client, campaign, status="bogus") == everyone  # an unknown filter is everyone

    monkeypatch.setattr(people, "EXPORT_CHUNK", 1)
    with CaptureQueriesContext(connection) as chunked:
        assert export(client, campaign) == everyone
    monkeypatch.setattr(people, "EXPORT_CHUNK", 3)
    with CaptureQueriesContext(connection) as fewer:
        assert export(client, campaign) == everyone
    assert len(chunked.captured_queries) - len(fewer.captured_queries) == 3 * (4 - 2)

    page = client.get(reverse("campaign_people", args=[campaign.pk]), {"q": "lead2"})
    assert 'people/export/?status=&amp;q=lead2"' in page.content.decode()


def test_an_interrupted_lead_taken_as_delivered_goes_on_in_the_same_thread(
    client, alice, workspace_a, mailbox, smtp_server, monkeypatch
):
    campaign = interrupted_after_delivery(workspace_a, mailbox, monkeypatch)
    first = {m.recipient: m for m in OutboundMessage.objects.all()}
    assert len(smtp_server.received) == 3
    assert run_until(START + datetime.timedelta(days=3)) == 0  # never by itself

    client.force_login(alice)
    url = reverse("campaign_people", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert "cannot tell whether they went out" in page and filters(page)["interrupted"] == "3"
    listed = client.get(url, {"status": "interrupted"}).content.decode()
    assert "Step 1 of 3 interrupted" in rows(listed)["lead0@x.example"]
    chosen = re.search(r'name="enrollment" value="(\d+)"[^>]*Choose lead0', listed).group(1)
    now = START + datetime.timedelta(days=3)
    with time_machine.travel(now, tick=False):
        done = client.post(reverse("campaign_people_continue", args=[campaign.pk]), {
            "enrollment": [chosen, "99999999", "x"],
        })  # fmt: skip
    assert done.status_code == 302
    lead0 = Enrollment.objects.get(pk=chosen)
    assert (lead0.status, lead0.next_step, lead0.stop_reason) == ("active", 2, "")
    assert lead0.next_due_at >= now
    assert run_until(now + datetime.timedelta(hours=2)) == 1
    follow_up = parsed(smtp_server.received[-1])
    assert smtp_server.received[-1].rcpt_tos == ["lead0@x.example"]
    assert follow_up["In-Reply-To"] == first["lead0@x.example"].message_id
    assert follow_up["Subject"] == f"Re: {first['lead0@x.example'].subject}"
    # What Postigo knows is kept: the first message stays unknown.
    assert OutboundMessage.objects.get(pk=first["lead0@x.example"].pk).state == "unknown"
    still = filters(client.get(url).content.decode())
    assert (still["interrupted"], still["active"]) == ("2", "1")


def test_leads_who_replied_or_unsubscribed_since_are_left_alone(
    client, alice, workspace_a, mailbox, smtp_server, monkeypatch
):
    campaign = interrupted_after_delivery(workspace_a, mailbox, monkeypatch)
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    receive(mailbox, gmail_reply(by["lead0@x.example"]), START + 4 * HOUR)
    suppression_add(workspace=workspace_a, entry="lead1@x.example", reason="unsubscribed")

    client.force_login(alice)
    with time_machine.travel(START + datetime.timedelta(days=1), tick=False):
        client.post(reverse("campaign_people_continue", args=[campaign.pk]), {"all": "1"})
    status = dict(Enrollment.objects.values_list("lead__email", "status"))
    assert status == {
        "lead0@x.example": "stopped",
        "lead1@x.example": "stopped",
        "lead2@x.example": "active",
    }


def test_the_last_step_interrupted_finishes_the_sequence(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1)
        campaign_launch(campaign)
    at = START + 2 * HOUR
    with time_machine.travel(at, tick=False):
        ids = claim_for_mailbox(mailbox.pk, at)
        OutboundMessage.objects.filter(pk__in=ids).update(state="sending", sending_at=at)
    with time_machine.travel(at + HOUR, tick=False):
        messages_recover_interrupted()
    enrollment = Enrollment.objects.get()
    campaign.refresh_from_db()
    assert enrollments_continue(campaign=campaign, enrollment_ids=[enrollment.pk]) == 1
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.next_due_at) == ("completed", None)
    assert enrollments_continue(campaign=campaign, enrollment_ids=[enrollment.pk]) == 0  # once


def test_another_workspace_cannot_see_or_continue(
    client, charlie, workspace_a, mailbox, smtp_server, monkeypatch
):
    campaign = interrupted_after_delivery(workspace_a, mailbox, monkeypatch, n=1)
    enrollment = Enrollment.objects.get()
    client.force_login(charlie)
    assert client.get(reverse("campaign_people", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("campaign_people_export", args=[campaign.pk])).status_code == 404
    url = reverse("campaign_people_continue", args=[campaign.pk])
    assert client.post(url, {"enrollment": [enrollment.pk]}).status_code == 404
    assert client.post(url, {"all": "1"}).status_code == 404
    assert Enrollment.objects.get().status == "stopped"


def test_a_lead_page_shows_its_campaigns_messages_and_replies(
    client, alice, workspace_a, mailbox, smtp_server
):
    campaign = first_step_sent(workspace_a, mailbox, 2)
    message = OutboundMessage.objects.get(recipient="lead0@x.example")
    track(message)
    receive(mailbox, gmail_reply(message), START + 2 * HOUR)
    reply = message.replies.get()

    client.force_login(alice)
    ours = reverse("lead_detail", args=[message.enrollment.lead_id])
    other = OutboundMessage.objects.get(recipient="lead1@x.example").enrollment.lead_id
    client.get(ours)  # the session's first request saves it
    with CaptureQueriesContext(connection) as queries:
        page = client.get(ours)
    html = page.content.decode()
    activity = " ".join(re.sub(r"<[^>]+>", " ", html.split("data-activity", 1)[1]).split())
    assert activity.startswith(f"> Campaigns {campaign.name} Stopped replied Step 1")
    assert f"{message.subject} Opened" in activity
    assert f'href="{reverse("inbox_thread", args=[reply.pk])}"' in html
    assert f"Re: {message.subject} Interested" in activity
    with CaptureQueriesContext(connection) as fewer:  # no reply, no open: the same queries
        client.get(reverse("lead_detail", args=[other]))
    assert len(queries.captured_queries) == len(fewer.captured_queries)


def test_an_unsubscribe_or_an_open_proves_an_interrupted_send_went_out(
    client, workspace_a, mailbox, smtp_server, monkeypatch
):
    """The recipient acted on the message, so it went out: it is recorded sent. An unsubscribe
    also says why the stopped sequence ends; after an open it stays for the user to continue."""
    interrupted_after_delivery(workspace_a, mailbox, monkeypatch, n=2)
    by = {r.rcpt_tos[0]: parsed(r) for r in smtp_server.received}
    link = by["lead0@x.example"]["List-Unsubscribe"].split(">")[0].lstrip("<")
    client.post(link.removeprefix("http://localhost:8000"), {"List-Unsubscribe": "One-Click"})
    track(OutboundMessage.objects.get(recipient="lead1@x.example"))

    assert dict(OutboundMessage.objects.values_list("recipient", "state")) == {
        "lead0@x.example": "sent",
        "lead1@x.example": "sent",
    }
    assert dict(Enrollment.objects.values_list("lead__email", "stop_reason")) == {
        "lead0@x.example": "unsubscribed",
        "lead1@x.example": "interrupted while sending",
    }
