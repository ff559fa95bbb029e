"""The inbox in Chromium: replies read back, filtered, opened, relabelled."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.inbox.receive import receive
from campaigns.models import OutboundMessage
from campaigns.sending.launch import campaign_launch
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import START, build, run_until
from tests.conftest import make_user
from tests.e2e.browser import shoot
from tests.e2e.test_mailbox_connect import sign_in
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_read_filter_and_relabel_replies(live_server, page, smtp_server):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    mailbox = sink_mailbox(workspace, smtp_server)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=4, steps=2)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    later = START + datetime.timedelta(hours=3)
    receive(mailbox, mail.gmail_reply(by["lead0@x.example"]), later)
    receive(mailbox, mail.apple_reply_without_in_reply_to(by["lead1@x.example"]), later)
    receive(mailbox, mail.out_of_office(by["lead2@x.example"]), later)
    receive(mailbox, mail.postfix_bounce(by["lead3@x.example"]), later)

    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.click("nav >> text=Inbox")
    expect(page.locator("tr.inbox-row")).to_have_count(4)
    shoot(page, "inbox")

    page.click("[data-label=bounce]")
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    expect(page.locator("tr.inbox-row")).to_contain_text("lead3@x.example")

    page.click("[data-label=not_interested]")
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    page.click("tr[data-reply='lead1@x.example'] >> text=Re:")
    expect(page.locator("[data-received=reply]")).to_contain_text("Not interested")
    page.select_option("select[name=label]", "neutral")  # the person knows better
    page.click("text=Save label")
    expect(page.locator(".messages, [role=status], .toast").first).to_contain_text("Label saved")
    page.click("[data-next-unread]")  # on to the newest reply not read yet: the bounce
    expect(page.locator("[data-received=bounce]")).to_have_count(1)
    page.click("text=Mark unread")  # kept for later
    expect(page.locator("tr.unread")).to_have_count(3)

    page.goto(base + "/inbox/?label=interested")
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    page.click("tr[data-reply='lead0@x.example'] >> text=Re:")
    expect(page.locator("[data-thread] article")).to_have_count(2)
    expect(page.locator("[data-received=reply]")).to_contain_text("Sounds interesting")
    original = page.locator("[data-received=reply] .original-html")
    expect(original).to_be_hidden()
    page.click("[data-received=reply] details.original summary")
    expect(original.locator("blockquote")).to_contain_text("A short note about our idea.")
    before = len(smtp_server.received)
    page.fill("textarea[name=body]", "Thursday at 10:00 works. I'll send an invite.")
    page.click("[data-answer-form] button[type=submit]")
    expect(page.locator("[data-answered]")).to_contain_text("Thursday at 10:00 works")
    assert [r.rcpt_tos for r in smtp_server.received[before:]] == [["lead0@x.example"]]
    shoot(page, "inbox-thread")
    page.goto(base + "/inbox/")
    expect(page.locator("[data-label=neutral]")).to_contain_text("1")
    expect(page.locator("[data-label=interested]")).to_contain_text("1")
    expect(page.locator("tr.unread")).to_have_count(2)

    page.fill("[data-inbox-filters] input[type=search]", "lead2")
    page.click("[data-inbox-filters] button[type=submit]")
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    expect(page.locator("tr.unread")).to_have_count(1)
    page.click("[data-read-all] button")  # only what the search shows
    expect(page.locator("tr.inbox-row")).to_have_count(1)
    expect(page.locator("tr.unread")).to_have_count(0)
    expect(page.locator("[data-inbox-filters] input[type=search]")).to_have_value("lead2")
    page.goto(base + "/inbox/")
    expect(page.locator("tr.unread")).to_have_count(1)
