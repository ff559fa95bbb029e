import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import crypto


def keys(*ids: str) -> dict[str, bytes]:
    return {key_id: os.urandom(32) for key_id in ids}


@pytest.fixture
def two_keys(settings):
    settings.POSTIGO_ENCRYPTION_KEYS = keys("k2", "k1")
    return settings


@given(st.text())
def test_it_round_trips_any_text(text):
    assert crypto.decrypt(crypto.encrypt(text, context="t"), context="t") == text


def test_ciphertext_names_the_current_key_and_differs_each_time(two_keys):
    a = crypto.encrypt("hunter2", context="t")
    b = crypto.encrypt("hunter2", context="t")
    assert a.startswith("enc1:k2$") and b.startswith("enc1:k2$")
    assert a != b
    assert "hunter2" not in a


def test_old_keys_still_decrypt(settings):
    settings.POSTIGO_ENCRYPTION_KEYS = old = keys("k1")
    token = crypto.encrypt("secret", context="t")
    settings.POSTIGO_ENCRYPTION_KEYS = {"k2": os.urandom(32), **old}
    assert crypto.decrypt(token, context="t") == "secret"
    assert crypto.key_id_of(token) == "k1"
    assert crypto.is_current(token) is False


def test_a_missing_key_is_a_clear_error(settings):
    token = crypto.encrypt("secret", context="t")
    settings.POSTIGO_ENCRYPTION_KEYS = keys("other")
    with pytest.raises(crypto.DecryptionError, match="key id"):
        crypto.decrypt(token, context="t")


def test_ciphertext_moved_to_another_column_does_not_decrypt():
    token = crypto.encrypt("secret", context="smtp_accounts.mailbox.smtp_password")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, context="smtp_accounts.mailbox.imap_password")


@pytest.mark.parametrize("flip", [8, 20, -1])
def test_tampering_is_detected(flip):
    token = crypto.encrypt("secret", context="t")
    prefix, body = token.split("$")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[flip] ^= 1
    tampered = prefix + "$" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered, context="t")


@pytest.mark.parametrize("junk", ["", "plain", "enc1:", "enc1:k1$", "enc1:k1$!!!", "enc2:k1$AAAA"])
def test_malformed_tokens_are_errors_not_crashes(junk):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(junk, context="t")
