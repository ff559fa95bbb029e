"""The campaign builder in Chromium: import leads, write a 2-step sequence with an A/B subject,
preview it for a lead, fix what the review flags."""

import pytest
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.models import Campaign, Variant
from tests.conftest import make_user
from tests.e2e.accounts import sign_in
from tests.e2e.browser import shoot
from tests.factories import FIXTURE, make_mailbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_build_a_two_step_ab_campaign(live_server, page):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    make_mailbox(workspace, email="owner@acme.example", from_name="Olivia Owner")
    console_errors = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    # Leads: the sample file, straight through the import.
    page.goto(base + "/leads/import/")
    page.set_input_files("#id_file", str(FIXTURE))
    page.fill("#id_new_list", "Sample")
    page.click("text=Upload and preview")
    page.click("text=Import leads")
    expect(page.locator("#import-progress")).to_have_attribute("data-status", "done")

    # A campaign on that list.
    page.goto(base + "/campaigns/")
    page.fill("#id_name", "Berlin founders")
    page.click("text=Create and continue")
    page.check("text=Sample (64)")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    page.click("text=Next: sequence")

    # Step 1 with an A/B subject test.
    variant_a = page.locator("[data-variant=A]")
    variant_a.locator("input[name=subject]").fill("Quick question, {{first_name|there}}")
    variant_a.locator("[data-editor]").click()
    page.keyboard.type("{Hi|Hello} ")
    variant_a.locator("[data-insert-field]").select_option("first_name")
    with page.expect_response(
        lambda r: "/variants/" in r.url and "growing" in (r.request.post_data or "")
    ):
        page.keyboard.type(", I saw {{company}} is growing in {{city|your city}}.")
    expect(variant_a.locator(".variant-status")).to_have_attribute("data-state", "saved")
    page.click("[data-add-variant]")
    variant_b = page.locator(
        "#step-" + str(Variant.objects.get(label="A").step_id) + " [data-variant=B]"
    )
    expect(variant_b.locator("input[name=subject]")).to_have_value(
        "Quick question, {{first_name|there}}"
    )
    with page.expect_response(lambda r: "Postigo" in (r.request.post_data or "")):
        variant_b.locator("input[name=subject]").fill("{{company}} + Postigo?")
    expect(variant_b.locator(".variant-status")).to_have_attribute("data-state", "saved")

    # Step 2: a follow-up in the same thread, first with a typo the builder flags.
    page.click("text=Add a follow-up")
    follow_up = page.locator("[data-step='2'] [data-variant=A]")
    follow_up.locator("[data-editor]").click()
    page.keyboard.type("Just bumping this, {{first_name")
    expect(follow_up.locator("[data-template-error]")).to_contain_text(
        "This merge field is never closed"
    )
    with page.expect_response(lambda r: "there%7D%7D" in (r.request.post_data or "")):
        page.keyboard.type("|there}}.")
    expect(follow_up.locator(".variant-status")).to_have_attribute("data-state", "saved")
    expect(follow_up.locator("input[name=subject]")).to_have_attribute(
        "placeholder", "Re: Quick question, {{first_name|there}}"
    )
    shoot(page, "campaign-sequence")

    # Preview for a chosen lead: merge fields filled, spintax counted.
    page.click("text=Preview")
    page.select_option("select[name=lead]", label="c.mueller2@brightwave.example")
    page.click("text=Show")
    expect(page.locator("[data-subject]")).to_have_text("Quick question, Chloé")
    expect(page.locator("[data-body]")).to_contain_text(
        "Chloé, I saw Brightwave SaaS is growing in"
    )
    expect(page.locator(".card-title").filter(has_text="possible versions")).to_have_text(
        "2 possible versions"
    )
    shoot(page, "campaign-preview")

    # Schedule: on each lead's own clock, saved as it is ticked.
    page.goto(base + f"/campaigns/{Campaign.objects.get().pk}/schedule/")
    page.check("text=send in each lead's own time zone")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    shoot(page, "campaign-schedule")

    # Review: only the mailbox is missing; choose it and the campaign is ready.
    page.goto(base + f"/campaigns/{Campaign.objects.get().pk}/review/")
    expect(page.locator("[data-problem]")).to_have_count(1)
    expect(page.locator("[data-problem]")).to_contain_text("Choose at least one active mailbox")
    page.click("text=Fix it")
    page.check("text=owner@acme.example — Active")
    expect(page.locator("#save-state [data-saved]")).to_have_attribute("data-saved", "yes")
    page.click("text=Next: review")
    expect(page.locator("[data-problems]")).to_have_attribute("data-problems", "0")
    expect(page.get_by_text("Ready to launch")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("in each lead's time zone (else UTC)")
    shoot(page, "campaign-review")

    campaign = Campaign.objects.get()
    subjects = sorted(
        Variant.objects.filter(step__campaign=campaign, step__position=1).values_list(
            "subject", flat=True
        )
    )
    assert subjects == ["Quick question, {{first_name|there}}", "{{company}} + Postigo?"]
    assert "{{city|your city}}" in Variant.objects.get(step__position=1, label="A").body_html
    assert console_errors == [], console_errors
