"""Secrets at rest: AES-256-GCM with key ids (DESIGN §5.4).

A token looks like `enc1:<key id>$<urlsafe base64 of nonce ‖ ciphertext ‖ tag>`. The first key
of settings.POSTIGO_ENCRYPTION_KEYS encrypts; every listed key decrypts, so keys rotate by
putting a new one first and running `manage.py rotate_encryption_keys`. The `context` (e.g.
"smtp_accounts.mailbox.smtp_password") is bound as associated data, so a ciphertext copied
into another column or row type does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1:"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored secret could not be decrypted (never says what the secret was)."""


def _keys() -> dict[str, bytes]:
    keys = settings.POSTIGO_ENCRYPTION_KEYS
    if not keys:
        raise DecryptionError("No encryption keys are configured (POSTIGO_ENCRYPTION_KEYS).")
    return keys


def current_key_id() -> str:
    return next(iter(_keys()))


def encrypt(plaintext: str, *, context: str) -> str:
    key_id = current_key_id()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_keys()[key_id]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}{key_id}${base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    if not token.startswith(PREFIX) or "$" not in token:
        raise DecryptionError("Not an encrypted value.")
    return token[len(PREFIX) :].split("$", 1)[0]


def is_current(token: str) -> bool:
    return key_id_of(token) == current_key_id()


def decrypt(token: str, *, context: str) -> str:
    key_id = key_id_of(token)
    key = _keys().get(key_id)
    if key is None:
        raise DecryptionError(
            f"The value was encrypted with key id {key_id!r}, which is not in "
            "POSTIGO_ENCRYPTION_KEYS."
        )
    try:
        raw = base64.urlsafe_b64decode(token.split("$", 1)[1].encode())
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("The encrypted value is damaged.") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise DecryptionError("The encrypted value is damaged.")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("The encrypted value is damaged or belongs elsewhere.") from exc
    return plain.decode()
