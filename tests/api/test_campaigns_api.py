"""Campaigns through the API: drafts with sequences, the Review page's problems on launch."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign

pytestmark = pytest.mark.django_db


def test_a_draft_is_created_with_its_sequence(api):
    response = api.post(
        "campaigns",
        {
            "name": "Q1",
            "schedule": {
                "send_days": [0, 2],
                "window_start": "08:30",
                "window_end": "12:00",
                "timezone": "Europe/Berlin",
            },
            "steps": [
                {
                    "delay_days": 0,
                    "variants": [
                        {"subject": "A", "body_html": "<p>a</p>"},
                        {"subject": "B", "body_html": "<p>b</p>"},
                    ],
                },
                {"delay_days": 4, "variants": [{"subject": "", "body_html": "<p>bump</p>"}]},
            ],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["schedule"]["send_days"] == [0, 2]
    assert (body["schedule"]["window_start"], body["schedule"]["timezone"]) == (
        "08:30",
        "Europe/Berlin",
    )
    assert [[v["label"] for v in s["variants"]] for s in body["steps"]] == [["A", "B"], ["A"]]
    assert body["steps"][1]["delay_days"] == 4
    assert body["steps"][0]["variants"][0]["body_text"] == "a"


def test_a_draft_sequence_is_replaced(api):
    created = api.post(
        "campaigns",
        {
            "name": "Q1",
            "steps": [{"variants": [{"subject": "1"}]}, {"variants": [{"subject": "2"}]}],
        },
    ).json()
    patched = api.patch(
        f"campaigns/{created['id']}",
        {"steps": [{"delay_days": 0, "variants": [{"subject": "only"}]}]},
    )
    assert [s["variants"][0]["subject"] for s in patched.json()["steps"]] == ["only"]


def test_schedule_errors_name_the_field(api):
    response = api.post(
        "campaigns", {"name": "Q1", "schedule": {"window_start": "17:00", "window_end": "09:00"}}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "schedule.window_end"
    assert not Campaign.objects.exists()


def test_a_bad_time_zone_names_the_field(api):
    response = api.post("campaigns", {"name": "Q1", "schedule": {"timezone": "Nowhere/City"}})
    assert (response.status_code, response.json()["field"]) == (422, "schedule.timezone")


def test_launch_returns_the_review_pages_problems(api):
    created = api.post("campaigns", {"name": "Empty"}).json()
    response = api.post(f"campaigns/{created['id']}/launch")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "launch_blocked"
    messages = " ".join(p["message"] for p in body["problems"])
    assert "mailbox" in messages.lower()
    assert api.get(f"campaigns/{created['id']}/problems").json() == body["problems"]
    assert Campaign.objects.get().status == "draft"


def test_only_a_draft_is_edited(api, workspace_a):
    created = api.post("campaigns", {"name": "Q1"}).json()
    Campaign.objects.filter(pk=created["id"]).update(status="running")
    response = api.patch(f"campaigns/{created['id']}", {"name": "Renamed"})
    assert (response.status_code, response.json()["code"]) == (409, "not_draft")


def test_pausing_a_draft_is_refused(api):
    created = api.post("campaigns", {"name": "Q1"}).json()
    response = api.post(f"campaigns/{created['id']}/pause")
    assert (response.status_code, response.json()["code"]) == (409, "not_running")


def test_campaigns_are_listed_with_their_numbers(api):
    api.post("campaigns", {"name": "Q1"})
    [row] = api.get("campaigns").json()["data"]
    assert row["numbers"]["sent"] == 0 and row["name"] == "Q1"


def test_leads_added_to_a_campaign_never_grow_a_list_another_campaign_uses(api, workspace_a):
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Lead, LeadList, LeadMembership

    shared = LeadList.objects.create(workspace=workspace_a, name="Shared")
    first = campaign_create(workspace=workspace_a, name="First")
    other = campaign_create(workspace=workspace_a, name="Other")
    first.lead_lists.add(shared)
    other.lead_lists.add(shared)
    lead = Lead.objects.create(workspace=workspace_a, email="new@lead.example")

    response = api.post(f"campaigns/{first.pk}/leads", {"lead_ids": [lead.pk]})

    assert response.status_code == 200
    assert not LeadMembership.objects.filter(lead_list=shared, lead=lead).exists()
    own = first.lead_lists.exclude(pk=shared.pk).get()
    assert LeadMembership.objects.filter(lead_list=own, lead=lead).exists()
    assert not other.lead_lists.filter(pk=own.pk).exists()


def test_later_additions_go_to_the_same_list_of_the_campaigns_own(api, workspace_a):
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Lead, LeadList

    campaign = campaign_create(workspace=workspace_a, name="Solo")
    LeadList.objects.create(workspace=workspace_a, name=f"Solo ({campaign.pk})")  # name taken
    leads = [Lead.objects.create(workspace=workspace_a, email=f"l{i}@x.example") for i in range(2)]
    for lead in leads:
        assert api.post(f"campaigns/{campaign.pk}/leads", {"lead_ids": [lead.pk]}).json()
    own = campaign.lead_lists.get()
    assert own.name == f"Solo ({campaign.pk}) 2"
    assert own.leads.count() == 2
