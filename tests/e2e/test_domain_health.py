"""Domain health in the browser: see a problem, copy the record, publish it, re-check, see green."""

import pytest
from playwright.sync_api import expect

from accounts.services import workspace_create
from tests.conftest import make_user
from tests.e2e.accounts import sign_in
from tests.e2e.browser import SCREENSHOTS, shoot
from tests.factories import google_zone, healthy_zone, make_mailbox
from tests.servers.dns import zone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_fix_a_missing_dmarc_record(live_server, page, dns_server):
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    make_mailbox(workspace, provider="google", smtp_host="smtp.acme.example")
    dns_server.set_zones(zone("acme.example", healthy_zone(dmarc="")), google_zone())
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    base = live_server.url
    sign_in(page, base, "owner@example.com")

    page.goto(base + "/mailboxes/")
    page.click("a[href='/mailboxes/domains/acme.example/']")
    dmarc = page.locator("[data-finding=dmarc]")
    expect(dmarc).to_have_attribute("data-level", "error")
    expect(dmarc.locator("[data-record-value]")).to_have_text("v=DMARC1; p=none; adkim=r; aspf=r")
    dmarc.locator("button[data-copy^='#value']").click()
    expect(dmarc.locator("button[data-copy^='#value']")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "v=DMARC1; p=none; adkim=r; aspf=r"
    shoot(page, "domain-health")

    # The user publishes what was copied, then asks for a fresh check.
    dns_server.set_zones(
        zone("acme.example", healthy_zone(dmarc=f'_dmarc TXT "{copied}"')), google_zone()
    )
    page.click("text=Check now")
    expect(page.locator("#domain-report")).to_have_attribute("data-status", "warning")
    expect(page.locator("[data-finding=dmarc]")).to_have_attribute("data-level", "warning")
    expect(page.locator("[data-finding=dmarc] .finding-title")).to_have_text("DMARC policy: none")

    page.goto(base + "/mailboxes/domains/")
    expect(page.locator("[data-domain='acme.example']")).to_contain_text("Needs attention")
    if SCREENSHOTS:
        page.goto(base + "/mailboxes/")
        shoot(page, "mailboxes")
