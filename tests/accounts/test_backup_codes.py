"""Backup codes are stored as keyed digests and open exactly one session each."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.conftest import PASSWORD, dump_every_table, enable_two_factor

pytestmark = pytest.mark.django_db


def sign_in_with_code(client, code):
    client.post(reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD})
    return client.post(reverse("two_factor_login"), {"code": code})


def test_no_backup_code_is_readable_in_the_database(alice):
    _device, codes = enable_two_factor(alice)
    everything = dump_every_table()
    assert not any(code in everything for code in codes)


def test_a_backup_code_signs_in_once(client, alice):
    _device, codes = enable_two_factor(alice)
    assert sign_in_with_code(client, codes[0]).status_code == 302
    client.logout()
    refused = sign_in_with_code(client, codes[0])
    assert refused.status_code == 200 and "not right" in refused.content.decode()
    assert StaticToken.objects.filter(device__user=alice).count() == 9


def test_a_digest_typed_as_a_code_opens_nothing(client, alice):
    _device, _codes = enable_two_factor(alice)
    stored = StaticToken.objects.filter(device__user=alice).first().token
    assert sign_in_with_code(client, stored).status_code == 200


def test_the_migration_turns_readable_codes_into_digests_that_still_work(client, alice):
    static = StaticDevice.objects.create(user=alice, name="Backup codes", confirmed=True)
    enable_two_factor(alice)  # (an authenticator, so the sign-in asks for a code)
    StaticDevice.objects.filter(user=alice).exclude(pk=static.pk).delete()
    static.token_set.create(token="abcd2345")  # how codes were stored before
    migration = importlib.import_module("accounts.migrations.0006_hash_backup_codes")
    migration.hash_backup_codes(apps, None)
    migration.hash_backup_codes(apps, None)  # twice is harmless
    assert "abcd2345" not in dump_every_table()
    assert sign_in_with_code(client, "ABCD-2345").status_code == 302
    assert not StaticToken.objects.filter(device=static).exists()
