"""The outreach domain's events reach a webhook receiver: a campaign run through the API sends
signed email.sent and reply.received, and the other events fire where the thing happens."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from api.webhooks import deliver_due
from campaigns.inbox.receive import receive
from campaigns.leads.unsubscribe import unsubscribe
from campaigns.models import OutboundMessage
from campaigns.sending.dispatch import dispatch_tick
from smtp_accounts.services import mailbox_paused_by_error
from tests.campaigns import inbound_mail
from tests.campaigns.pipeline import track
from tests.smtp_accounts.factories import sink_mailbox


@pytest.fixture
def mailbox(workspace_a, smtp_server):
    return sink_mailbox(workspace_a, smtp_server, daily_cap=1000, hourly_cap=1000)


LATER = datetime.timedelta(hours=3)  # past the sends, which happen two hours from now


def events(receiver, secret) -> list[dict]:
    """Deliver what is due by then; what the receiver got, each verified with the secret."""
    with time_machine.travel(timezone.now() + LATER):
        deliver_due()
        return [Webhook(secret).verify(r.body, r.headers) for r in receiver.received]


def run_campaign_through_the_api(api, mailbox, n=3) -> int:
    list_id = api.post("lists", {"name": "Berlin founders"}).json()["id"]
    rows = [{"email": f"lead{i}@x.example", "first_name": f"Lena{i}"} for i in range(n)]
    bulk = api.post("leads/bulk", {"leads": rows, "list_id": list_id}).json()
    assert bulk["created"] == n
    created = api.post(
        "campaigns",
        {
            "name": "Berlin Q1",
            "list_ids": [list_id],
            "mailbox_ids": [mailbox.pk],
            "schedule": {
                "send_days": [0, 1, 2, 3, 4, 5, 6],
                "window_start": "00:00",
                "window_end": "23:59",
                "timezone": "UTC",
            },
            "steps": [
                {
                    "delay_days": 0,
                    "variants": [
                        {
                            "subject": "Idea for {{first_name}}",
                            "body_html": "<p>Hi {{first_name}}</p>",
                        }
                    ],
                },
                {"delay_days": 2, "variants": [{"subject": "", "body_html": "<p>Bump</p>"}]},
            ],
        },
    )
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    launched = api.post(f"campaigns/{campaign_id}/launch")
    assert launched.status_code == 200, launched.json()
    assert launched.json() == {"id": campaign_id, "status": "running", "enrolled": n}
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False):
        dispatch_tick()  # Celery is eager in tests: the batch is sent now
    return campaign_id


@pytest.mark.django_db
def test_a_campaign_started_through_the_api_sends_signed_sent_and_reply_events(
    api, mailbox, smtp_server, receiver, endpoint
):
    campaign_id = run_campaign_through_the_api(api, mailbox)
    assert len(smtp_server.received) == 3
    got = events(receiver, endpoint.secret)
    sent = [e for e in got if e["type"] == "email.sent"]
    assert len(sent) == 3
    assert {e["data"]["lead"]["email"] for e in sent} == {f"lead{i}@x.example" for i in range(3)}
    assert all(e["data"]["campaign"]["id"] == campaign_id for e in sent)
    assert all(e["data"]["step"] == 1 for e in sent)
    assert "campaign.status_changed" in [e["type"] for e in got]

    message = OutboundMessage.objects.get(recipient="lead0@x.example")
    receiver.received.clear()
    receive(mailbox, inbound_mail.gmail_reply(message), timezone.now())
    [reply] = [e for e in events(receiver, endpoint.secret) if e["type"] == "reply.received"]
    assert reply["data"]["lead"]["email"] == "lead0@x.example"
    assert reply["data"]["reply"]["text"].startswith("Sounds interesting")
    assert reply["data"]["reply"]["label"]  # the classifier's label travels with it
    replies = api.get("replies", {"campaign_id": campaign_id}).json()["data"]
    assert [r["lead_email"] for r in replies] == ["lead0@x.example"]


@pytest.mark.django_db
def test_status_changes_are_announced_with_the_previous_status(api, mailbox, receiver, endpoint):
    campaign_id = run_campaign_through_the_api(api, mailbox, n=1)
    api.post(f"campaigns/{campaign_id}/pause")
    api.post(f"campaigns/{campaign_id}/resume")
    api.post(f"campaigns/{campaign_id}/stop")
    changes = [
        (e["data"]["previous_status"], e["data"]["status"])
        for e in events(receiver, endpoint.secret)
        if e["type"] == "campaign.status_changed"
    ]
    assert changes == [
        ("draft", "running"),
        ("running", "paused"),
        ("paused", "running"),
        ("running", "completed"),
    ]


@pytest.mark.django_db
def test_opens_and_clicks_carry_the_machine_flag(api, mailbox, receiver, endpoint):
    run_campaign_through_the_api(api, mailbox, n=1)
    message = OutboundMessage.objects.get()
    with time_machine.travel(timezone.now() + LATER):
        track(message)  # a person's browser, an hour after it was sent
        track(message, user_agent="Mozilla/5.0 (compatible; GoogleImageProxy)")  # Gmail's proxy
    opened = [e["data"] for e in events(receiver, endpoint.secret) if e["type"] == "email.opened"]
    assert sorted(e["machine"] for e in opened) == [False, True]
    assert {e["message_id"] for e in opened} == {message.pk}


@pytest.mark.django_db
def test_an_unsubscribe_is_announced(api, mailbox, receiver, endpoint):
    run_campaign_through_the_api(api, mailbox, n=1)
    unsubscribe(OutboundMessage.objects.get())
    [event] = [e for e in events(receiver, endpoint.secret) if e["type"] == "lead.unsubscribed"]
    assert event["data"]["lead"]["email"] == "lead0@x.example"
    assert event["data"]["reason"] == "unsubscribed"


@pytest.mark.django_db
def test_a_bounce_report_is_announced(api, mailbox, receiver, endpoint):
    run_campaign_through_the_api(api, mailbox, n=1)
    message = OutboundMessage.objects.get()
    receive(mailbox, inbound_mail.postfix_bounce(message), timezone.now())
    [event] = [e for e in events(receiver, endpoint.secret) if e["type"] == "email.bounced"]
    assert event["data"]["bounce"]["permanent"] is True
    assert event["data"]["bounce"]["during"] == "report"
    assert event["data"]["recipient"] == "lead0@x.example"


@pytest.mark.django_db
def test_relabelling_a_reply_interested_announces_the_lead(api, mailbox, receiver, endpoint):
    run_campaign_through_the_api(api, mailbox, n=1)
    message = OutboundMessage.objects.get()
    receive(mailbox, inbound_mail.gmail_reply(message, body="Not now, thanks."), timezone.now())
    reply_id = api.get("replies").json()["data"][0]["id"]
    receiver.received.clear()
    assert api.post(f"replies/{reply_id}/label", {"label": "interested"}).status_code == 200
    [event] = [e for e in events(receiver, endpoint.secret) if e["type"] == "lead.interested"]
    assert event["data"]["labelled_by"] == "user"
    assert event["data"]["reply"]["id"] == reply_id


@pytest.mark.django_db
def test_a_mailbox_paused_by_an_error_is_announced(mailbox, receiver, endpoint):
    mailbox_paused_by_error(mailbox=mailbox, reason="535 5.7.8 authentication failed")
    [event] = events(receiver, endpoint.secret)
    assert event["type"] == "mailbox.error"
    assert event["data"]["mailbox"] == {
        "id": mailbox.pk,
        "email": mailbox.email,
        "status": "paused_error",
    }
    assert "535" in event["data"]["reason"]
    assert "password" not in json.dumps(event).lower()


@pytest.mark.django_db
def test_an_answer_goes_through_the_same_mailbox_in_the_thread(api, mailbox, smtp_server):
    run_campaign_through_the_api(api, mailbox, n=1)
    message = OutboundMessage.objects.get()
    with time_machine.travel(timezone.now() + LATER):  # after the send, two hours from now
        receive(mailbox, inbound_mail.gmail_reply(message), timezone.now())
        reply_id = api.get("replies").json()["data"][0]["id"]
        response = api.post(f"replies/{reply_id}/answer", {"body": "Thursday at 10 works."})
        thread = api.get(f"replies/{reply_id}").json()["thread"]
    assert response.status_code == 201, response.json()
    answer = smtp_server.received[-1]
    text = answer.data.decode()
    assert f"In-Reply-To: <CAF=gmail{message.pk}x@mail.gmail.com>" in text
    assert "Thursday at 10 works." in text
    assert [item["direction"] for item in thread] == ["sent", "received", "answered"]


@pytest.mark.django_db
def test_a_campaign_held_for_review_is_announced_with_the_reason(api, mailbox, receiver, endpoint):
    from campaigns.models import Campaign
    from campaigns.sending.content_gate import campaign_hold

    campaign_id = run_campaign_through_the_api(api, mailbox, n=1)
    campaign_hold(campaign=Campaign.objects.get(pk=campaign_id), explanation="Looks like phishing.")
    [held] = [
        e["data"]
        for e in events(receiver, endpoint.secret)
        if e["type"] == "campaign.status_changed" and e["data"]["status"] == "paused"
    ]
    assert held["previous_status"] == "running"
    assert held["reason"] == "held_for_review: Looks like phishing."
