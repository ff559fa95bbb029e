"""`{a|b}` and `<a|b>` typed into the body editor reach the recipient spun, in both parts."""

import email
import re
from email import policy

import pytest
from playwright.sync_api import expect

from campaigns.authoring.services import variant_remove
from campaigns.models import Variant
from tests.e2e.accounts import dispatch_an_hour_later, owner_with_campaign, sign_in
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def parts(raw: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(raw, policy=policy.default)
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    return html, text


def test_spintax_typed_into_the_editor_is_spun_in_both_parts(live_server, page, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=6, steps=1)
    variant_remove(variant=Variant.objects.get(step__campaign=campaign, label="B"))
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(f"{base}/campaigns/{campaign.pk}/sequence/")
    editor = page.locator("[data-variant=A] [data-editor]")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    with page.expect_response(lambda r: "question" in (r.request.post_data or "")):
        page.keyboard.type("{Hi|Hello} {{first_name}}, I have a <quick|short> question.")
    expect(page.locator("[data-variant=A] .variant-status")).to_have_attribute(
        "data-state", "saved"
    )
    assert "{quick|short}" in Variant.objects.get(step__campaign=campaign).body_html
    shoot(page, "editor-spintax")

    page.goto(f"{base}/campaigns/{campaign.pk}/review/")
    page.click("[data-launch]")
    page.click("[data-confirm-yes]")  # the launch confirmation
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "running"
    )
    assert dispatch_an_hour_later() == 6

    greetings = set()
    for received in smtp_server.received:
        html, text = parts(received.data)
        said = re.search(r"(Hi|Hello) L\d, I have a (quick|short) question", text)
        assert said, text
        assert said.group(0) in html  # the HTML part says the very same words
        assert "|" not in html.split("</p>")[0] and "&lt;" not in html
        greetings.add(said.groups())
    assert len(greetings) > 1  # the groups really spin across recipients


def test_the_editor_and_preview_point_out_spintax_sent_as_written(live_server, page, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=1, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(f"{base}/campaigns/{campaign.pk}/sequence/")
    page.locator("[data-variant=A] [data-editor]").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    with page.expect_response(lambda r: "reply" in (r.request.post_data or "")):
        page.keyboard.type(r"Just reply \<yes|no\> to this.")
    page.reload()
    expect(page.locator("[data-variant=A] .hints")).to_contain_text("will be sent as written")
    shoot(page, "editor-literal-spintax")

    page.click("text=Preview")
    expect(page.locator("[data-body] mark.literal").first).to_have_text("<yes|no>")
    shoot(page, "preview-literal-spintax")
