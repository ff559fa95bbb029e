"""Every page of a working account fits a phone's width: nothing scrolls sideways (Chromium)."""

import datetime

import pytest
import time_machine

from accounts.services import workspace_create
from campaigns.dispatch import dispatch_tick
from campaigns.inbound import receive
from campaigns.launch import campaign_launch
from campaigns.models import OutboundMessage, Reply
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import build
from tests.conftest import make_user
from tests.e2e.test_mailbox_connect import sign_in
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 420, "height": 860}


def test_pages_fit_a_phone(live_server, page, smtp_server):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    mailbox = sink_mailbox(workspace, smtp_server)
    campaign = build(
        workspace,
        mailbox,
        n=3,
        steps=2,
        window_start=datetime.time(0),
        window_end=datetime.time(23, 59),
    )
    campaign_launch(campaign)
    with time_machine.travel(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1, minutes=1)
    ):
        assert dispatch_tick() == 3  # the report's tables have rows
    # A reply whose long link and subject must wrap on a phone.
    sent = OutboundMessage.objects.order_by("pk").first()
    sent.subject += " about the quarterly-procurement-review-and-onboarding-timeline"
    link = "https://calendar.example/meet/" + "x" * 120
    receive(
        mailbox,
        mail.gmail_reply(sent, body=f"Happy to talk: {link}"),
        datetime.datetime.now(datetime.UTC),
    )
    reply = Reply.objects.get()
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.set_viewport_size(PHONE)
    parts = ("", "sequence/", "schedule/", "mailboxes/", "review/", "report/")
    pages = [
        "/",
        "/campaigns/",
        *(f"/campaigns/{campaign.pk}/{part}" for part in parts),
        "/leads/",
        "/mailboxes/",
        "/mailboxes/new/",
        "/mailboxes/domains/",
        "/inbox/",
        f"/inbox/{reply.pk}/",
        "/reports/",
        "/billing/",
        "/workspace/",
        "/settings/",
        "/settings/security/",
    ]
    wide = {}
    for path in pages:
        response = page.goto(base + path)
        assert response.ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    assert wide == {}
