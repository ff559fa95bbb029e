"""Recipient-facing URLs are built from a template per URLconf, base URL and script prefix:
always the very URL `reverse()` gives."""

import pytest
from django.conf import settings as django_settings
from django.urls import reverse, set_script_prefix
from hypothesis import given
from hypothesis import strategies as st

from campaigns.tokens import UNSUBSCRIBE_SALT, public_url, sign, unsubscribe_url
from campaigns.tracking.links import CLICK_SALT, OPEN_SALT, pixel_url

TOKENS = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1)


@given(token=TOKENS, position=st.integers(min_value=1, max_value=32767))
def test_the_same_url_as_reverse(token, position):
    base = django_settings.PUBLIC_BASE_URL
    unsubscribe = base + reverse("unsubscribe", args=[sign(token, UNSUBSCRIBE_SALT)])
    assert unsubscribe_url(token) == unsubscribe
    assert pixel_url(token) == base + reverse("track_open", args=[sign(token, OPEN_SALT)])
    signed = sign(token, CLICK_SALT)
    click = base + reverse("track_click", args=[signed, position])
    assert public_url("track_click", signed, position) == click


def test_it_follows_the_base_url_and_the_script_prefix(settings):
    settings.PUBLIC_BASE_URL = "https://t.example"
    assert pixel_url("abc").startswith("https://t.example/t/o/abc:")
    set_script_prefix("/postigo/")
    try:
        assert pixel_url("abc").startswith("https://t.example/postigo/t/o/abc:")
    finally:
        set_script_prefix("/")


def test_a_value_reverse_would_refuse_is_refused():
    with pytest.raises(ValueError):
        public_url("unsubscribe", "a/b")
