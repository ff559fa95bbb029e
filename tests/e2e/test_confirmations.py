"""Destructive actions ask first, in a dialog the server renders (Chromium), or on a page of
its own without JavaScript: Stop a campaign, delete leads in bulk."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, Lead
from campaigns.sending.launch import campaign_launch
from tests.e2e.accounts import owner_with_campaign, sign_in
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_stop_asks_in_a_dialog_and_cancel_changes_nothing(live_server, page, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=5)
    campaign_launch(campaign=campaign)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/campaigns/{campaign.pk}/report/")

    page.click("[data-stop]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Stops 5 leads' sequences")
    expect(dialog).to_contain_text("cannot be undone")
    shoot(page, "confirm-stop")
    dialog.locator("[data-confirm-cancel]").click()
    expect(dialog).to_be_hidden()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.RUNNING

    page.click("[data-stop]")
    page.click("#confirm-dialog [data-confirm-yes]")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "completed"
    )
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.COMPLETED


def test_stop_asks_on_a_page_of_its_own_without_javascript(live_server, browser, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=3)
    campaign_launch(campaign=campaign)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 420, "height": 860})
    page = context.new_page()
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/campaigns/{campaign.pk}/report/")
    page.click("[data-stop]")
    expect(page.locator("h2#confirm-title")).to_contain_text("Stop “Pipeline” for good?")
    shoot(page, "confirm-stop-page-phone")
    page.click("[data-confirm-yes]")
    expect(page.locator("[data-campaign-status]")).to_have_attribute(
        "data-campaign-status", "completed"
    )
    context.close()


def test_bulk_delete_ticks_rows_asks_and_reports_the_count(live_server, page, smtp_server):
    owner_with_campaign(smtp_server, n=4, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/leads/")

    page.check("[data-lead='lead0@x.example'] [data-select-row]")
    page.check("[data-lead='lead1@x.example'] [data-select-row]")
    expect(page.locator("[data-selected-count]")).to_have_text("2")
    shoot(page, "leads-bulk-selected")
    page.set_viewport_size({"width": 420, "height": 860})
    shoot(page, "leads-bulk-selected-phone")
    page.set_viewport_size({"width": 1360, "height": 860})
    page.click("[data-bulk-delete]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Delete 2 leads?")
    shoot(page, "confirm-bulk-delete")
    page.set_viewport_size({"width": 420, "height": 860})
    shoot(page, "confirm-bulk-delete-phone")
    dialog.locator("[data-confirm-yes]").click()
    expect(page.locator(".flash-stack")).to_contain_text("2 leads deleted.")
    expect(page.locator("[data-lead]")).to_have_count(2)
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "lead2@x.example",
        "lead3@x.example",
    }


def test_select_all_matching_offers_every_lead_of_the_filter(live_server, page, smtp_server):
    owner_with_campaign(smtp_server, n=3, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/leads/")
    page.check("[data-select-all]")
    expect(page.locator("[data-matching-offer]")).to_be_visible()
    page.check("[data-select-matching]")
    page.fill("input[name=bulk_tag]", "warm")
    page.click("button[name=action][value=tag]")
    page.click("#confirm-dialog [data-confirm-yes]")
    expect(page.locator(".flash-stack")).to_contain_text("Tag “warm” added to 3 leads.")


def test_a_csv_file_dropped_on_the_import_page_is_uploaded(live_server, page, smtp_server):
    owner_with_campaign(smtp_server, n=1, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/leads/import/")
    # What the browser does when a file is dragged from the desktop: a drop carrying it.
    page.evaluate(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(["email,first_name\\nnew@x.example,Nia\\n"], "dropped.csv",
                                    {type: "text/csv"}));
            const zone = document.querySelector("[data-dropzone]");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
        }"""
    )
    expect(page.locator("[data-dropzone-file]")).to_have_text("dropped.csv")
    page.fill("#id_new_list", "Dropped")
    shoot(page, "lead-upload-dropped")
    page.click("text=Upload and preview")
    expect(page.locator(".card-title")).to_contain_text("into “Dropped”")  # the upload arrived


def test_a_wrong_time_zone_shows_its_error_beside_the_field(live_server, page, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=1, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/campaigns/{campaign.pk}/schedule/", wait_until="domcontentloaded")
    expect(page.locator("#time-zones option[value='Europe/Paris']")).to_have_count(1)
    page.fill("#id_timezone", "Mars/Olympus")
    page.locator("#id_timezone").dispatch_event("change")
    expect(page.locator("#id_timezone_errors")).to_contain_text("not a time zone Postigo knows")
    expect(page.locator("[data-saved=no]")).to_be_visible()
    expect(page.locator("#id_daily_cap")).to_be_visible()  # the page is still there
    shoot(page, "schedule-timezone-error")
    page.fill("#id_timezone", "Europe/Paris")
    page.locator("#id_timezone").dispatch_event("change")
    expect(page.locator("[data-saved=yes]")).to_be_visible()
    expect(page.locator("#id_timezone_errors")).to_be_empty()
    assert Campaign.objects.get(pk=campaign.pk).timezone == "Europe/Paris"


def test_a_stopped_campaign_is_archived_and_found_under_archived(live_server, page, smtp_server):
    _mailbox, campaign = owner_with_campaign(smtp_server, n=2, steps=1)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/campaigns/")
    page.click("[data-campaign='Pipeline'] [data-archive]")
    expect(page.locator(".flash-stack")).to_contain_text("archived")
    expect(page.locator("[data-campaign='Pipeline']")).to_have_count(0)
    page.click("[data-show-archived]")
    expect(page.locator("[data-campaign='Pipeline']")).to_be_visible()
    shoot(page, "campaigns-archived")
    page.click("[data-campaign='Pipeline'] [data-unarchive]")
    expect(page.locator("[data-campaign='Pipeline']")).to_be_visible()


def test_an_unknown_page_is_the_styled_404(live_server, page, smtp_server):
    owner_with_campaign(smtp_server, n=1, steps=1)
    base = live_server.url
    sign_in(page, base, "owner@example.com")
    page.goto(f"{base}/no-such-page/")
    expect(page.locator("[data-error-page='404']")).to_contain_text("Back to your dashboard")
    shoot(page, "error-404")
    page.set_viewport_size({"width": 420, "height": 860})
    shoot(page, "error-404-phone")
