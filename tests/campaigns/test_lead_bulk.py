"""Bulk actions on the Leads page: ask first, then act set-based on the ticked rows or on every
lead matching the filter, within the workspace, for the roles allowed."""

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from campaigns.authoring.services import campaign_create
from campaigns.models import Lead, LeadList, Suppression
from tests.factories import add_leads

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def leads(workspace_a):
    add_leads(
        workspace_a,
        *(
            {"email": f"p{i}@x.example", "company": "Acme" if i < 3 else "Initech"}
            for i in range(5)
        ),
    )
    return list(Lead.objects.order_by("email"))


def ids(rows):
    return [str(lead.pk) for lead in rows]


def test_bulk_delete_asks_first_and_changes_nothing(client, alice, leads):
    client.force_login(alice)
    page = client.post(reverse("lead_bulk"), {"action": "delete", "ids": ids(leads[:2])})
    body = page.content.decode()
    assert "Delete 2 leads?" in body
    assert body.count('name="ids"') == 2
    assert Lead.objects.count() == 5


def test_bulk_delete_confirmed_deletes_the_ticked_leads_and_says_how_many(client, alice, leads):
    client.force_login(alice)
    response = client.post(
        reverse("lead_bulk"),
        {"action": "delete", "ids": ids(leads[:2]), "confirmed": "1"},
        follow=True,
    )
    assert "2 leads deleted." in response.content.decode()
    assert Lead.objects.count() == 3
    assert AuditLog.objects.get(action=AuditLog.Action.LEADS_DELETED).metadata["count"] == 2


def test_all_matching_the_filter_reaches_beyond_the_ticked_page(client, alice, leads):
    client.force_login(alice)
    client.post(
        reverse("lead_bulk"),
        {"action": "delete", "all_matching": "1", "filter": "q=acme", "confirmed": "1"},
    )
    assert sorted(Lead.objects.values_list("company", flat=True)) == ["Initech", "Initech"]


def test_bulk_suppress_puts_the_addresses_on_the_suppression_list(client, alice, leads):
    client.force_login(alice)
    client.post(
        reverse("lead_bulk"), {"action": "suppress", "ids": ids(leads[:3]), "confirmed": "1"}
    )
    assert Suppression.objects.count() == 3


def test_bulk_tag_adds_the_tag_once(client, alice, leads):
    client.force_login(alice)
    for _ in range(2):
        client.post(
            reverse("lead_bulk"),
            {"action": "tag", "bulk_tag": "VIP", "ids": ids(leads[:2]), "confirmed": "1"},
        )
    assert [lead.tag_list for lead in Lead.objects.order_by("email")[:3]] == [["vip"], ["vip"], []]


def test_bulk_add_to_list(client, alice, leads, workspace_a):
    target = LeadList.objects.create(workspace=workspace_a, name="Hot")
    client.force_login(alice)
    client.post(
        reverse("lead_bulk"),
        {"action": "add_to_list", "bulk_list": target.pk, "ids": ids(leads), "confirmed": "1"},
    )
    assert target.leads.count() == 5


def test_bulk_add_to_a_campaign_puts_them_in_its_list(client, alice, leads, workspace_a):
    campaign = campaign_create(workspace=workspace_a, name="Outreach")
    client.force_login(alice)
    response = client.post(
        reverse("lead_bulk"),
        {
            "action": "add_to_campaign",
            "bulk_campaign": campaign.pk,
            "ids": ids(leads[:2]),
            "confirmed": "1",
        },  # fmt: skip
        follow=True,
    )
    assert "2 leads added to “Outreach”, 0 enrolled now." in response.content.decode()
    assert Lead.objects.filter(lists__campaigns=campaign).count() == 2


def test_a_viewer_cannot_bulk_delete(client, vera, leads):
    client.force_login(vera)
    response = client.post(
        reverse("lead_bulk"), {"action": "delete", "ids": ids(leads), "confirmed": "1"}
    )
    assert response.status_code == 403
    assert Lead.objects.count() == 5


def test_another_workspaces_leads_are_never_touched(client, charlie, leads):
    client.force_login(charlie)
    client.post(reverse("lead_bulk"), {"action": "delete", "ids": ids(leads), "confirmed": "1"})
    client.post(
        reverse("lead_bulk"),
        {"action": "delete", "all_matching": "1", "filter": "", "confirmed": "1"},
    )
    assert Lead.objects.count() == 5


def test_another_workspaces_list_is_a_404(client, charlie, leads, workspace_a):
    target = LeadList.objects.create(workspace=workspace_a, name="Theirs")
    client.force_login(charlie)
    response = client.post(
        reverse("lead_bulk"), {"action": "add_to_list", "bulk_list": target.pk, "ids": ["1"]}
    )
    assert response.status_code == 404


def test_nothing_selected_is_an_error_message_not_a_crash(client, alice, leads):
    client.force_login(alice)
    response = client.post(reverse("lead_bulk"), {"action": "delete"}, follow=True)
    assert "Select at least one lead first." in response.content.decode()


def test_from_the_dialog_an_error_reloads_the_page(client, alice, leads):
    client.force_login(alice)
    response = client.post(reverse("lead_bulk"), {"action": "tag", "ids": ids(leads)}, headers=HTMX)
    assert response.headers["HX-Redirect"] == reverse("lead_list")


def test_from_a_campaigns_people_page_all_matching_means_its_people(client, alice, workspace_a):
    from campaigns.sending.launch import campaign_launch
    from tests.factories import build, make_mailbox

    campaign = build(workspace_a, make_mailbox(workspace_a), n=3, steps=1)
    campaign_launch(campaign=campaign)
    add_leads(workspace_a, {"email": "outsider@x.example"}, list_name="Elsewhere")
    client.force_login(alice)
    response = client.post(
        reverse("lead_bulk"),
        {
            "action": "tag",
            "bulk_tag": "pipeline",
            "all_matching": "1",
            "filter": "status=&q=",
            "people_campaign": campaign.pk,
            "confirmed": "1",
        },  # fmt: skip
    )
    assert response.url == reverse("campaign_people", args=[campaign.pk]) + "?status=&q="
    tagged = Lead.objects.filter(tags__contains=",pipeline,")
    assert tagged.count() == 3 and not tagged.filter(email="outsider@x.example").exists()


def test_the_people_page_shows_the_bulk_bar(client, alice, workspace_a):
    from tests.factories import build, make_mailbox

    campaign = build(workspace_a, make_mailbox(workspace_a), n=2, steps=1)
    from campaigns.sending.launch import campaign_launch

    campaign_launch(campaign=campaign)
    client.force_login(alice)
    page = client.get(reverse("campaign_people", args=[campaign.pk])).content.decode()
    assert 'id="people-bulk"' in page and page.count('form="people-bulk" name="ids"') == 2


@pytest.mark.parametrize(("language", "count"), [("en", "1,240"), ("fr", "1\xa0240")])
def test_counts_in_a_confirmation_are_grouped_as_the_users_language_writes_them(
    client, alice, workspace_a, language, count
):
    Lead.objects.bulk_create(
        Lead(workspace=workspace_a, email=f"l{i}@x.example", email_normalized=f"l{i}@x.example")
        for i in range(1240)
    )
    alice.language = language
    alice.save(update_fields=["language"])
    client.force_login(alice)
    page = client.post(reverse("lead_bulk"), {"action": "delete", "all_matching": "1"})
    assert count in page.content.decode()
