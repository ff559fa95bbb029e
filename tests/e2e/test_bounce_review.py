"""A sender-side refusal in Chromium: the conversation says what to fix and links to the
domain's health; an owner takes back a bounce they believe was read wrong."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.inbox.receive import receive
from campaigns.models import OutboundMessage, Reply, Suppression
from campaigns.sending.launch import campaign_launch
from tests.campaigns import bounce_shapes as shapes
from tests.campaigns.pipeline import START, build, run_until
from tests.conftest import make_user
from tests.e2e.browser import shoot
from tests.e2e.test_mailbox_connect import sign_in
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def report(message, case):
    return shapes.exchange(
        shapes.Returned(
            message.recipient,
            message.message_id,
            subject=message.subject,
            sender=message.mailbox.email,
            case=shapes.CASES_BY_NAME[case],
        )
    )


@pytest.mark.parametrize("width", [1360, 420])
def test_a_refusal_says_what_to_fix_and_a_bounce_can_be_taken_back(
    live_server, page, smtp_server, width
):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    mailbox = sink_mailbox(workspace, smtp_server)
    with time_machine.travel(START, tick=False):
        campaign_launch(build(workspace, mailbox, n=2, steps=2))
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    by = {m.recipient: m for m in OutboundMessage.objects.all()}
    later = START + datetime.timedelta(hours=3)
    receive(mailbox, report(by["lead0@x.example"], "spamhaus"), later)
    receive(mailbox, report(by["lead1@x.example"], "o365_not_found"), later)
    page.set_viewport_size({"width": width, "height": 860})
    suffix = "" if width > 1000 else "-phone"

    base = live_server.url
    sign_in(page, base, "owner@example.com")
    refusal = Reply.objects.get(failure="sender")
    page.goto(f"{base}/inbox/{refusal.pk}/")
    notice = page.locator("[data-sender-side]")
    expect(notice).to_contain_text("not the lead, who was not suppressed")
    expect(notice).to_contain_text("blocklist")
    shoot(page, f"inbox-sender-refusal{suffix}")
    notice.locator("a").click()
    expect(page).to_have_url(f"{base}/mailboxes/domains/{mailbox.domain}/")

    page.goto(f"{base}/leads/suppressions/")
    row = page.locator("tr[data-value='lead1@x.example']")
    expect(row).to_contain_text("5.1.10")
    expect(page.locator("tr[data-value='lead0@x.example']")).to_have_count(0)
    shoot(page, f"suppressions-bounce{suffix}")
    row.get_by_role("button", name="Remove").click()
    expect(page.locator("tr[data-value='lead1@x.example']")).to_have_count(0)
    assert not Suppression.objects.exists()
