"""Leads through the API: create, update, delete, search, bulk upsert, and cursors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Lead, Suppression

pytestmark = pytest.mark.django_db


def test_a_lead_is_created_and_read_back(api):
    created = api.post(
        "leads",
        {
            "email": "Ada@Lovelace.example",
            "first_name": "Ada",
            "custom": {"plan": "pro"},
            "tags": ["VIP"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["email"], body["first_name"], body["custom"], body["tags"]) == (
        "Ada@lovelace.example",
        "Ada",
        {"plan": "pro"},
        ["vip"],
    )
    assert api.get(f"leads/{body['id']}").json() == body


def test_a_duplicate_address_is_a_409_naming_email(api):
    api.post("leads", {"email": "ada@x.example"})
    response = api.post("leads", {"email": "ADA@x.example"})
    assert response.status_code == 409
    assert response.json()["field"] == "email"


def test_a_bad_address_is_refused_naming_the_field(api):
    response = api.post("leads", {"email": "not-an-address"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "email"
    assert "not-an-address" in body["message"]


def test_a_suppressed_address_is_not_created(api, workspace_a):
    Suppression.objects.create(workspace=workspace_a, kind="domain", value="blocked.example")
    response = api.post("leads", {"email": "x@blocked.example"})
    assert (response.status_code, response.json()["code"]) == (409, "suppressed")


def test_a_lead_is_updated_and_deleted(api):
    lead = api.post("leads", {"email": "ada@x.example"}).json()
    patched = api.patch(
        f"leads/{lead['id']}", {"company": "Analytical Engines", "status": "replied"}
    )
    assert (patched.json()["company"], patched.json()["status"]) == (
        "Analytical Engines",
        "replied",
    )
    assert api.delete(f"leads/{lead['id']}").status_code == 204
    assert api.get(f"leads/{lead['id']}").status_code == 404


def test_an_unknown_time_zone_is_refused(api):
    response = api.post("leads", {"email": "a@x.example", "timezone": "Mars/Olympus"})
    assert (response.status_code, response.json()["field"]) == (422, "timezone")


def test_bulk_upsert_reports_each_row(api, workspace_a):
    Lead.objects.create(workspace=workspace_a, email="old@x.example", first_name="Old")
    Suppression.objects.create(workspace=workspace_a, value="gone@x.example", reason="unsubscribed")
    rows = [
        {"email": "new@x.example", "first_name": "New"},
        {"email": "OLD@x.example", "first_name": "Renamed"},
        {"email": "broken"},
        {"email": "new@x.example"},
        {"email": "gone@x.example"},
    ]
    response = api.post("leads/bulk", {"leads": rows})
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 3)
    statuses = [(r["index"], r["status"], (r["error"] or {}).get("code")) for r in body["results"]]
    assert statuses == [
        (0, "created", None),
        (1, "updated", None),
        (2, "error", "invalid"),
        (3, "error", "duplicate"),
        (4, "error", "suppressed"),
    ]
    assert Lead.objects.get(email_normalized="old@x.example").first_name == "Renamed"


def test_bulk_upsert_takes_at_most_1000_rows(api):
    rows = [{"email": f"l{i}@x.example"} for i in range(1001)]
    response = api.post("leads/bulk", {"leads": rows})
    assert (response.status_code, response.json()["field"]) == (422, "leads")
    assert not Lead.objects.exists()


def test_a_bulk_upsert_costs_queries_by_batch_not_by_row(api):
    counts = []
    for start, n in ((0, 100), (100, 1000)):
        rows = [{"email": f"l{i}@x.example"} for i in range(start, start + n)]
        with CaptureQueriesContext(connection) as queries:
            assert api.post("leads/bulk", {"leads": rows}).json()["created"] == n
        counts.append(len(queries))
    # PostgreSQL takes one INSERT; SQLite splits it by its limit of 999 variables (~58 leads).
    assert counts[1] - counts[0] <= 1000 // 50


def test_search_finds_by_name_company_or_address(api):
    api.post("leads", {"email": "ada@engines.example", "first_name": "Ada"})
    api.post("leads", {"email": "grace@navy.example", "company": "US Navy"})
    assert [lead["email"] for lead in api.get("leads", {"q": "navy"}).json()["data"]] == [
        "grace@navy.example"
    ]
    assert [lead["email"] for lead in api.get("leads", {"q": "ada"}).json()["data"]] == [
        "ada@engines.example"
    ]


def test_cursors_walk_every_lead_once_newest_first(api, workspace_a):
    Lead.objects.bulk_create(
        [
            Lead(workspace=workspace_a, email=f"l{i}@x.example", email_normalized=f"l{i}@x.example")
            for i in range(7)
        ]
    )
    seen, cursor = [], None
    while True:
        page = api.get("leads", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        seen += [lead["email"] for lead in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"l{i}@x.example" for i in reversed(range(7))]


def test_a_forged_cursor_is_a_400_naming_cursor(api):
    response = api.get("leads", {"cursor": "bm90IGEgY3Vyc29y"})
    assert (response.status_code, response.json()["field"]) == (400, "cursor")


def test_custom_field_names_are_listed(api):
    api.post("leads", {"email": "a@x.example", "custom": {"plan": "pro", "seats": 3}})
    api.post("leads", {"email": "b@x.example", "custom": {"plan": "free", "region": "EU"}})
    assert api.get("custom-fields").json() == {"data": ["plan", "region", "seats"]}


def test_suppressions_are_added_listed_and_removed_as_the_rules_allow(api, workspace_a):
    added = api.post("suppressions", {"entry": "rival.example", "note": "competitor"})
    assert (added.status_code, added.json()["kind"]) == (201, "domain")
    assert api.post("suppressions", {"entry": "rival.example"}).status_code == 200
    unsubscribed = Suppression.objects.create(
        workspace=workspace_a, value="u@x.example", reason="unsubscribed"
    )
    refused = api.delete(f"suppressions/{unsubscribed.pk}")
    assert (refused.status_code, refused.json()["code"]) == (409, "not_removable")
    assert api.delete(f"suppressions/{added.json()['id']}").status_code == 204
    assert [s["value"] for s in api.get("suppressions").json()["data"]] == ["u@x.example"]


def test_a_bounce_is_removed_only_with_an_owners_or_admins_key(api, bob, workspace_a):
    from tests.api.conftest import ApiClient, make_key

    bounced = Suppression.objects.create(
        workspace=workspace_a, value="b@x.example", reason="hard_bounce"
    )
    bobs = ApiClient(make_key(workspace_a, bob)[1])  # bob is a member, not an admin
    assert bobs.delete(f"suppressions/{bounced.pk}").status_code == 409
    assert api.delete(f"suppressions/{bounced.pk}").status_code == 204
