"""Importing the sample lead file in the browser: upload, map, watch progress, read the report."""

import re

import pytest
from playwright.sync_api import expect

from accounts.services import workspace_create
from campaigns.models import Lead
from tests.conftest import make_user
from tests.e2e.accounts import sign_in
from tests.e2e.browser import shoot
from tests.factories import FIXTURE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_import_the_sample_file(live_server, page):
    user = make_user("owner@example.com", name="Owner")
    workspace_create(owner=user, name="Acme")
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(base + "/leads/")
    page.click("text=Import a CSV file")
    page.set_input_files("#id_file", str(FIXTURE))
    page.fill("#id_new_list", "Berlin founders")
    shoot(page, "lead-upload")
    page.click("text=Upload and preview")

    expect(page.locator(".card-title")).to_contain_text("68 rows into “Berlin founders”")
    expect(page.locator("select[name=column_2]")).to_have_value("email")
    expect(page.locator("select[name=column_6]")).to_have_value("custom:city")
    page.select_option("select[name=column_7]", "")  # skip the phone column
    shoot(page, "lead-mapping")
    page.click("text=Import leads")

    progress = page.locator("#import-progress")
    expect(progress).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("[data-count=imported]")).to_have_text("64")
    expect(page.locator("[data-count=invalid]")).to_have_text("3")
    expect(page.locator("[data-problems] [data-row='62']")).to_contain_text("john.doe@")
    shoot(page, "lead-import-done")
    assert Lead.objects.get(email_normalized="i.garcia0@blue.example").phone == ""

    page.click("text=See the list")
    page.fill("input[name=q]", "Brightwave")
    expect(page.locator("[data-lead]")).to_have_count(6)  # the six Brightwave rows
    expect(page).to_have_url(re.compile(r"/leads/\?q=Brightwave&tag=&status=&list=\d+$"))
    shoot(page, "lead-list")

    # A do-not-contact file on the suppression list, and the list back out as CSV.
    page.click("text=Suppression list")
    page.set_input_files(
        "input[name=file]",
        files=[
            {
                "name": "dnc.csv",
                "mimeType": "text/csv",
                "buffer": b"address\nceo@rival.example\nnot an address\n@competitor.example\n",
            }
        ],
    )
    page.click("button:text('Import')")
    report = page.locator("[data-suppression-report]")
    expect(report).to_contain_text("2 added, 0 already there.")
    expect(report).to_contain_text("Row 3")
    expect(page.locator("[data-value='competitor.example']")).to_contain_text("domain")
    shoot(page, "suppression-list")
    with page.expect_download() as downloading:
        page.click("[data-suppression-export]")
    exported = downloading.value.path().read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in exported] == [
        "entry",
        "ceo@rival.example",
        "competitor.example",
    ]
