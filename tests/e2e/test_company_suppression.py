"""A company domain a campaign suppressed, in the browser: the owner sees why and removes it; a
member sees who can."""

import pytest
from playwright.sync_api import expect

from accounts.models import AuditLog, Membership
from accounts.services import workspace_create
from campaigns.leads.suppression import suppression_add
from campaigns.models import Suppression
from tests.conftest import make_user
from tests.e2e.accounts import sign_in
from tests.e2e.browser import shoot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company_suppressed(db):
    owner = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=owner, name="Acme")
    member = make_user("member@example.com", name="Member")
    Membership.objects.create(workspace=workspace, user=member, role=Membership.Role.MEMBER)
    suppression_add(workspace=workspace, entry="eve@globex.example", reason="unsubscribed")
    suppression_add(
        workspace=workspace, entry="@globex.example", reason="unsubscribed", note="Q4 outreach"
    )
    return workspace


def test_a_member_is_told_who_can_remove_it(live_server, page, company_suppressed):
    sign_in(page, live_server.url, "member@example.com")
    page.goto(live_server.url + "/leads/suppressions/")
    row = page.locator("[data-value='globex.example']")
    expect(row).to_contain_text("Someone at this company unsubscribed from “Q4 outreach”")
    expect(row).to_contain_text("An owner or admin can remove it")
    expect(row.locator("button:text('Remove')")).to_have_count(0)
    page.set_viewport_size({"width": 420, "height": 900})
    shoot(page, "suppression-company-member-phone")


def test_the_owner_removes_it_and_the_address_stays(live_server, page, company_suppressed):
    sign_in(page, live_server.url, "owner@example.com")
    page.goto(live_server.url + "/leads/suppressions/")
    shoot(page, "suppression-company-owner")
    expect(page.locator("[data-value='eve@globex.example'] button")).to_have_count(0)
    page.locator("[data-value='globex.example'] button:text('Remove')").click()
    expect(page.get_by_role("status")).to_contain_text("globex.example can be mailed again.")
    expect(page.locator("[data-value='globex.example']")).to_have_count(0)
    assert list(Suppression.objects.values_list("value", flat=True)) == ["eve@globex.example"]
    assert AuditLog.objects.filter(action=AuditLog.Action.SUPPRESSION_REMOVED).count() == 1
