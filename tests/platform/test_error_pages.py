"""Production error pages (DEBUG off): styled, helpful, and the 500 page renders with no
request context at all."""

import pytest
from django.test import Client, override_settings
from django.urls import path

from postigo import urls as project_urls


def explode(request):
    raise RuntimeError("a broken view")


def refuse(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


def malformed(request):
    from django.core.exceptions import SuspiciousOperation

    raise SuspiciousOperation("bad")


urlpatterns = [
    path("boom/", explode),
    path("refuse/", refuse),
    path("malformed/", malformed),
    *project_urls.urlpatterns,
]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


@override_settings(DEBUG=False)
def test_an_unknown_address_gets_the_styled_404_with_a_way_home(anonymous):
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error-page="404"' in body
    assert "We could not find that page" in body
    assert 'href="/"' in body and "app.css" in body


@override_settings(DEBUG=False)
def test_a_signed_in_user_is_offered_their_dashboard_on_a_404(client, alice):
    client.force_login(alice)
    body = client.get("/no-such-page/").content.decode()
    assert "Back to your dashboard" in body


@override_settings(DEBUG=False)
def test_a_crash_gets_the_styled_500_without_any_context_processor(anonymous, settings):
    # A context processor that fails must not take the error page down with the view.
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": ["tests.platform.test_error_pages.explode"],
            },
        }
    ]
    response = anonymous.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-error-page="500"' in body
    assert "Something went wrong on our side" in body


@override_settings(DEBUG=False)
def test_a_refusal_gets_the_styled_403_that_says_who_can_help(anonymous):
    response = anonymous.get("/refuse/")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-error-page="403"' in body
    assert "Sign in" in body


@override_settings(DEBUG=False)
def test_a_malformed_request_gets_the_styled_400(anonymous):
    response = anonymous.get("/malformed/")
    assert response.status_code == 400
    assert 'data-error-page="400"' in response.content.decode()


@override_settings(DEBUG=False)
def test_an_expired_form_gets_the_styled_page_that_says_nothing_changed(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/campaigns/", {"name": "Sent without its token"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form has expired" in body and "Nothing was changed" in body
