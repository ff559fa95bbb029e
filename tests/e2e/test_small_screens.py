"""Every page of a working account fits a phone's width: nothing scrolls sideways (Chromium)."""

import datetime

import pytest

from campaigns.inbox.receive import receive
from campaigns.models import OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail as mail
from tests.e2e.accounts import dispatch_an_hour_later, owner_with_campaign
from tests.e2e.test_mailbox_connect import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 420, "height": 860}


def test_pages_fit_a_phone(live_server, page, smtp_server):
    mailbox, campaign = owner_with_campaign(smtp_server, n=3)
    campaign_launch(campaign)
    assert dispatch_an_hour_later() == 3  # the report's tables have rows
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
    parts = ("", "sequence/", "schedule/", "mailboxes/", "review/", "report/", "people/")
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
        "/settings/privacy/",
        "/legal/privacy/",
    ]
    wide = {}
    for path in pages:
        response = page.goto(base + path)
        assert response.ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    assert wide == {}
