"""API keys: hashed at rest, scoped, expiring, revocable, audit-logged, rate-limited."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from accounts.models import AuditLog
from api.models import ApiKey
from api.services import apikey_revoke
from tests.api.conftest import ApiClient, make_key
from tests.conftest import dump_every_table


def test_the_secret_is_nowhere_in_the_database(alice, workspace_a):
    key, secret = make_key(workspace_a, alice)
    assert secret.startswith(key.prefix + "_")
    dump = dump_every_table()
    assert secret not in dump
    assert secret.split("_", 2)[2] not in dump  # not even its random part
    assert key.prefix in dump  # the visible prefix is kept to tell keys apart


def test_a_valid_key_reads_its_workspace(api):
    response = api.get("leads")
    assert response.status_code == 200
    assert response.json() == {"data": [], "next_cursor": None}


def test_no_key_is_401_with_the_error_shape(anonymous):
    response = anonymous.get("leads")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_wrong_key_is_401(alice_key):
    key, secret = alice_key
    response = ApiClient(secret[:-1] + ("A" if secret[-1] != "A" else "B")).get("leads")
    assert response.status_code == 401


def test_a_read_key_cannot_write(read_api):
    response = read_api.post("lists", {"name": "Prospects"})
    assert response.status_code == 403
    assert response.json()["code"] == "read_only_key"


def test_a_read_key_reads(read_api):
    assert read_api.get("lists").status_code == 200


def test_an_expired_key_is_refused(alice, workspace_a):
    from api.services import apikey_create

    key, secret = apikey_create(
        workspace=workspace_a,
        name="short",
        scope="read",
        expires_at=timezone.now() + datetime.timedelta(days=1),
        user=alice,
    )
    client = ApiClient(secret)
    assert client.get("leads").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        assert client.get("leads").status_code == 401


def test_revocation_takes_effect_on_the_next_request(alice, alice_key, api):
    assert api.get("leads").status_code == 200
    apikey_revoke(key=alice_key[0], user=alice)
    assert api.get("leads").status_code == 401


def test_creation_and_revocation_are_audit_logged(alice, workspace_a):
    key, _secret = make_key(workspace_a, alice)
    apikey_revoke(key=key, user=alice)
    actions = list(AuditLog.objects.filter(workspace=workspace_a).values_list("action", "metadata"))
    assert (
        AuditLog.Action.API_KEY_CREATED,
        {"key": key.prefix, "name": key.name, "scope": "write"},
    ) in actions
    assert (AuditLog.Action.API_KEY_REVOKED, {"key": key.prefix, "name": key.name}) in actions


def test_last_use_time_and_address_are_recorded(alice_key, api):
    api.get("leads", REMOTE_ADDR="203.0.113.9")
    key = ApiKey.objects.get(pk=alice_key[0].pk)
    assert key.last_used_ip == "203.0.113.9"
    assert timezone.now() - key.last_used_at < datetime.timedelta(seconds=5)


def test_past_the_rate_limit_the_key_gets_429_with_retry_after(settings, api, read_api):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    with time_machine.travel(datetime.datetime(2026, 12, 6, 12, 0, 10, tzinfo=datetime.UTC)):
        for _ in range(3):
            assert api.get("leads").status_code == 200
        response = api.get("leads")
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert response["Retry-After"] == "50"
        assert read_api.get("leads").status_code == 200  # another key has its own budget


def test_the_limit_resets_in_the_next_minute(settings, api):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    with time_machine.travel(datetime.datetime(2026, 12, 6, 12, 0, 59, tzinfo=datetime.UTC)):
        assert api.get("leads").status_code == 200
        assert api.get("leads").status_code == 429
    with time_machine.travel(datetime.datetime(2026, 12, 6, 12, 1, 0, tzinfo=datetime.UTC)):
        assert api.get("leads").status_code == 200


def test_a_key_stops_working_when_its_creator_leaves_the_workspace(dave, alice, workspace_a):
    from accounts.models import Membership
    from accounts.services import membership_remove

    key, secret = make_key(workspace_a, dave)
    assert ApiClient(secret).get("leads").status_code == 200
    owner = Membership.objects.get(workspace=workspace_a, user=alice)
    membership_remove(membership=Membership.objects.get(user=dave), by=owner)
    assert ApiClient(secret).get("leads").status_code == 401
    key.refresh_from_db()
    assert key.state == "revoked"
    assert AuditLog.objects.filter(action=AuditLog.Action.API_KEY_REVOKED).count() == 1


def test_a_key_stops_working_when_its_creator_is_deactivated(dave, workspace_a):
    key, secret = make_key(workspace_a, dave)
    dave.is_active = False
    dave.save(update_fields=["is_active"])
    assert ApiClient(secret).get("leads").status_code == 401


def test_a_write_key_only_reads_once_its_creator_is_made_a_viewer(dave, workspace_a):
    from accounts.models import Membership

    key, secret = make_key(workspace_a, dave)
    Membership.objects.filter(user=dave).update(role=Membership.Role.VIEWER)
    assert ApiClient(secret).get("lists").status_code == 200
    response = ApiClient(secret).post("lists", {"name": "Prospects"})
    assert response.status_code == 403
    Membership.objects.filter(user=dave).update(role=Membership.Role.ADMIN)
    assert ApiClient(secret).post("lists", {"name": "Prospects"}).status_code == 201


def test_a_key_whose_creator_was_deleted_is_refused(dave, workspace_a):
    key, secret = make_key(workspace_a, dave)
    dave.delete()
    assert ApiClient(secret).get("leads").status_code == 401
