import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_carry_csp_frame_and_referrer_headers(client, alice):
    client.force_login(alice)
    response = client.get(reverse("dashboard"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_post_without_csrf_token_is_refused(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("settings_theme"), {"theme": "dark"})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.theme == "system"


def test_pages_load_htmx_from_the_installed_package(client, alice):
    client.force_login(alice)
    body = client.get(reverse("dashboard")).content.decode()
    assert "/static/django_htmx/htmx-2.min.js" in body
    assert "://cdn" not in body and "unpkg" not in body
