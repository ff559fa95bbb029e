"""Settings → API: owners and admins create and revoke keys; the secret is shown once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from api.models import ApiKey
from tests.api.conftest import ApiClient, make_key

pytestmark = pytest.mark.django_db


def test_alice_creates_a_key_and_sees_its_secret_once(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("api_settings"), {"name": "HubSpot sync", "scope": "write", "expires": "90"}
    )
    assert response.status_code == 201
    secret = re.search(r'value="(pgo_[^"]+)"', response.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert (key.name, key.scope, key.created_by) == ("HubSpot sync", "write", alice)
    assert key.expires_at is not None
    assert ApiClient(secret).get("leads").status_code == 200
    again = client.get(reverse("api_settings")).content.decode()
    assert secret not in again
    assert key.prefix in again


def test_bob_a_member_cannot_create_a_key(client, bob):
    client.force_login(bob)
    response = client.post(reverse("api_settings"), {"name": "Mine", "scope": "write"})
    assert response.status_code == 302
    assert not ApiKey.objects.exists()
    assert "Only owners and admins" in client.get(reverse("api_settings")).content.decode()


def test_bob_cannot_revoke_a_key(client, alice, bob, workspace_a):
    key, secret = make_key(workspace_a, alice)
    client.force_login(bob)
    client.post(reverse("api_key_revoke", args=[key.pk]))
    assert ApiClient(secret).get("leads").status_code == 200


def test_alice_revokes_a_key_and_it_stops_working_at_once(client, alice, workspace_a):
    key, secret = make_key(workspace_a, alice)
    client.force_login(alice)
    client.post(reverse("api_key_revoke", args=[key.pk]))
    assert ApiClient(secret).get("leads").status_code == 401
    assert "Revoked" in client.get(reverse("api_settings")).content.decode()


def test_charlie_cannot_revoke_alices_key(client, alice, charlie, workspace_a):
    key, secret = make_key(workspace_a, alice)
    client.force_login(charlie)
    assert client.post(reverse("api_key_revoke", args=[key.pk])).status_code == 404
    assert ApiClient(secret).get("leads").status_code == 200


def test_charlie_does_not_see_alices_keys(client, alice, charlie, workspace_a):
    key, _secret = make_key(workspace_a, alice)
    client.force_login(charlie)
    assert key.prefix not in client.get(reverse("api_settings")).content.decode()


def test_a_nameless_key_is_refused_with_the_reason(client, alice):
    client.force_login(alice)
    response = client.post(reverse("api_settings"), {"name": "", "scope": "read"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_the_api_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Postigo API"
