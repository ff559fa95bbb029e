"""Connecting Google and Microsoft mailboxes with OAuth: the authorization code flow with PKCE,
its state bound to the session and workspace, the address from the verified identity."""

from __future__ import annotations

import pytest
from django.urls import reverse

from smtp_accounts.models import Mailbox, OAuthToken
from tests.smtp_accounts.factories import make_mailbox

pytestmark = pytest.mark.django_db


def start(client, provider="google", *, mailbox=None) -> str:
    if mailbox is None:
        response = client.post(reverse("mailbox_oauth_connect", args=[provider]))
    else:
        response = client.post(reverse("mailbox_oauth_reconnect", args=[mailbox.pk]))
    assert response.status_code == 302
    return response["Location"]


def test_without_configuration_the_connect_buttons_are_absent(client, alice):
    client.force_login(alice)
    page = client.get(reverse("mailbox_create")).content.decode()
    assert "Connect with Google" not in page
    assert "Connect with Microsoft" not in page
    assert client.post(reverse("mailbox_oauth_connect", args=["google"])).status_code == 404


def test_a_configured_provider_shows_its_button(client, alice, google_oauth):
    client.force_login(alice)
    page = client.get(reverse("mailbox_create")).content.decode()
    assert 'data-oauth="google"' in page
    assert 'data-oauth="microsoft"' not in page


def test_alice_connects_a_google_mailbox_and_it_signs_in_to_smtp_and_imap_with_its_token(
    client, alice, workspace_a, google_oauth, oauth_smtp_server, consent
):
    client.force_login(alice)
    authorize = start(client)
    assert "code_challenge_method=S256" in authorize
    assert "scope=https%3A%2F%2Fmail.google.com%2F+openid+email" in authorize
    response = client.get(consent(authorize))
    mailbox = Mailbox.objects.get(workspace=workspace_a)
    assert response["Location"] == reverse("mailbox_detail", args=[mailbox.pk])
    assert mailbox.email == "sender@acme.example"  # from the id_token, never typed
    assert mailbox.oauth_provider == "google"
    assert mailbox.smtp_password == ""
    assert mailbox.last_test_ok, mailbox.last_test_result
    assert oauth_smtp_server.xoauth2_logins == ["sender@acme.example"]
    grant = OAuthToken.objects.get(mailbox=mailbox)
    assert grant.refresh_token.startswith("1//")


def test_a_microsoft_mailbox_connects_through_its_tenant_issuer(
    client, alice, workspace_a, microsoft_oauth, consent
):
    client.force_login(alice)
    authorize = start(client, "microsoft")
    assert "SMTP.Send" in authorize and "offline_access" in authorize
    client.get(consent(authorize))
    mailbox = Mailbox.objects.get(workspace=workspace_a)
    assert mailbox.oauth_provider == "microsoft"
    assert mailbox.last_test_ok, mailbox.last_test_result


def test_a_forged_state_is_refused(client, alice, workspace_a, google_oauth, consent):
    client.force_login(alice)
    callback = consent(start(client))
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 400
    assert b"not started here" in response.content
    assert not Mailbox.objects.filter(workspace=workspace_a).exists()


def test_a_state_started_by_another_user_is_refused(
    client, alice, charlie, workspace_a, workspace_b, google_oauth, consent
):
    client.force_login(alice)
    callback = consent(start(client))
    client.force_login(charlie)  # a new session: charlie follows alice's link
    response = client.get(callback)
    assert response.status_code == 400
    assert not Mailbox.objects.exists()


def test_a_callback_replayed_is_refused(client, alice, google_oauth, consent):
    client.force_login(alice)
    callback = consent(start(client))
    assert client.get(callback).status_code == 302
    again = client.get(callback)
    assert again.status_code == 400
    assert Mailbox.objects.count() == 1


def test_a_code_replayed_with_a_fresh_state_is_refused_by_the_provider(
    client, alice, google_oauth, consent
):
    client.force_login(alice)
    first = consent(start(client))
    assert client.get(first).status_code == 302
    code = first.split("code=", 1)[1].split("&", 1)[0]
    fresh_state = consent(start(client)).split("state=", 1)[1].split("&", 1)[0]
    response = client.get(f"{reverse('mailbox_oauth_callback')}?code={code}&state={fresh_state}")
    assert response.status_code == 400
    assert b"invalid_grant" in response.content


def test_declining_at_the_consent_page_connects_nothing(client, alice, google_oauth, consent):
    client.force_login(alice)
    response = client.get(consent(start(client), decision="deny"))
    assert response.status_code == 400
    assert b"Access was not granted" in response.content
    assert not Mailbox.objects.exists()


def test_a_grant_without_the_mail_permission_is_refused(client, alice, google_oauth, consent):
    google_oauth.granted_scope = "openid email"  # the user unticked "Read, compose, send"
    client.force_login(alice)
    response = client.get(consent(start(client)))
    assert response.status_code == 400
    assert b"permission to send and read mail" in response.content
    assert not Mailbox.objects.exists()


def test_connecting_an_address_already_connected_with_a_password_converts_it(
    client, alice, workspace_a, google_oauth, consent
):
    old = make_mailbox(workspace_a, provider="google", smtp_password="app-password-1")
    client.force_login(alice)
    client.get(consent(start(client)))
    old.refresh_from_db()
    assert old.oauth_provider == "google"
    assert old.smtp_password == ""  # the app password is forgotten
    assert Mailbox.objects.count() == 1


def form_action(response) -> list[str]:
    directives = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";")
    )
    return directives["form-action"].split()


def test_the_mailbox_pages_let_their_forms_go_to_the_provider_only_when_configured(
    client, alice, settings
):
    client.force_login(alice)
    assert form_action(client.get(reverse("mailbox_create"))) == ["'self'"]
    settings.OAUTH_MAILBOX_PROVIDERS = {
        **settings.OAUTH_MAILBOX_PROVIDERS,
        "google": settings.OAUTH_MAILBOX_PROVIDERS["google"]
        | {"client_id": "id", "client_secret": "secret"},
    }
    allowed = form_action(client.get(reverse("mailbox_create")))
    assert allowed == ["'self'", "https://accounts.google.com"]


def test_a_disconnected_mailbox_cannot_be_resumed_without_reconnecting(
    client, alice, google_oauth, connect_with
):
    mailbox = connect_with("google")
    client.post(reverse("mailbox_oauth_disconnect", args=[mailbox.pk]))
    response = client.post(reverse("mailbox_toggle", args=[mailbox.pk]), follow=True)
    assert b"must be reconnected with Google" in response.content
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_USER


def test_a_member_cannot_take_over_a_password_mailbox_with_an_unverified_microsoft_address(
    client, bob, workspace_a, microsoft_oauth, consent
):
    # Microsoft does not verify `email`/`preferred_username`: anyone can sign in to a tenant of
    # their own under a colleague's address.
    old = make_mailbox(workspace_a, provider="microsoft", smtp_password="alice-password")
    client.force_login(bob)
    response = client.get(consent(start(client, "microsoft")))
    assert response.status_code == 400
    assert b"already a mailbox of this workspace" in response.content
    old.refresh_from_db()
    assert (old.oauth_provider, old.smtp_password) == ("", "alice-password")
    assert not OAuthToken.objects.exists()


def test_an_owner_may_move_a_password_microsoft_mailbox_to_oauth(
    client, alice, workspace_a, microsoft_oauth, consent
):
    old = make_mailbox(workspace_a, provider="microsoft", smtp_password="app-password")
    client.force_login(alice)
    client.get(consent(start(client, "microsoft")))
    old.refresh_from_db()
    assert old.oauth_provider == "microsoft"
    assert old.smtp_password == ""
