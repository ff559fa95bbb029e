"""Signed, per-message tokens for the links a recipient can follow (unsubscribe, tracking)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "postigo.unsubscribe"


def sign(token: str, salt: str) -> str:
    return signing.Signer(salt=salt).sign(token)


def unsign(value: str, salt: str) -> str | None:
    """The message token, or None for anything forged, truncated or from another purpose."""
    try:
        return signing.Signer(salt=salt).unsign(value)
    except signing.BadSignature:
        return None


def unsubscribe_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("unsubscribe", args=[sign(token, UNSUBSCRIBE_SALT)])
