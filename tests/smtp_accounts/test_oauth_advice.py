"""Where OAuth is the better path: Microsoft 365 refusing passwords (535 5.7.139 / 5.7.30), the
provider presets and the CSV bulk-connect saying so."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Notification
from smtp_accounts.connection import check_smtp
from smtp_accounts.handshake import Credentials
from smtp_accounts.models import Mailbox
from smtp_accounts.presets import basic_auth_disabled
from smtp_accounts.replies import Outcome
from smtp_accounts.services import mailbox_send_batch
from tests.smtp_accounts.factories import make_mailbox, outgoing

pytestmark = pytest.mark.django_db

BASIC_AUTH_OFF = (
    "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
    "[BN0PR04CA0012.namprd04.prod.outlook.com]"
)


@pytest.fixture
def microsoft_configured(settings):
    settings.OAUTH_MAILBOX_PROVIDERS = {
        **settings.OAUTH_MAILBOX_PROVIDERS,
        "microsoft": settings.OAUTH_MAILBOX_PROVIDERS["microsoft"]
        | {"client_id": "app-id", "client_secret": "app-secret"},
    }


def test_a_microsoft_password_mailbox_refused_for_basic_auth_is_paused_with_reconnect_advice(
    workspace_a, alice, smtp_server
):
    smtp_server.script.auth_reply = BASIC_AUTH_OFF
    mailbox = make_mailbox(
        workspace_a,
        provider="microsoft",
        smtp_host="localhost",
        smtp_port=smtp_server.port,
    )
    [result] = mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    assert result.outcome is Outcome.MAILBOX
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_ERROR
    body = Notification.objects.get(workspace=workspace_a).body
    assert "reconnected with Microsoft" in body
    assert "5.7.139" in body


def test_the_connection_test_says_to_reconnect_with_microsoft_on_5_7_30(workspace_a, smtp_server):
    smtp_server.script.auth_reply = (
        "535 5.7.30 Basic authentication is not supported for this mailbox"
    )
    mailbox = make_mailbox(
        workspace_a, provider="microsoft", smtp_host="localhost", smtp_port=smtp_server.port
    )
    result = check_smtp(mailbox)
    assert not result.ok and result.stage == "auth"
    assert "Connect with Microsoft" in result.hint


def test_an_ordinary_wrong_password_keeps_the_providers_own_hint(workspace_a, smtp_server):
    mailbox = make_mailbox(
        workspace_a,
        provider="microsoft",
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_password="wrong",
    )
    result = check_smtp(mailbox)
    assert "Authenticated SMTP" in result.hint


def test_the_microsoft_preset_points_to_connect_with_microsoft_when_set_up(
    client, alice, microsoft_configured
):
    client.force_login(alice)
    page = client.get(reverse("mailbox_create") + "?provider=microsoft").content.decode()
    assert "data-oauth-hint" in page
    assert "Connect with Microsoft instead" in page


def test_without_oauth_the_microsoft_preset_still_warns_of_the_deadline(client, alice):
    client.force_login(alice)
    page = client.get(reverse("mailbox_create") + "?provider=microsoft").content.decode()
    assert "end of December 2026" in page
    assert "Connect with Microsoft instead" not in page


def test_a_custom_server_gets_no_oauth_advice(client, alice, microsoft_configured):
    client.force_login(alice)
    page = client.get(reverse("mailbox_create") + "?provider=zoho").content.decode()
    assert "data-oauth-hint" not in page


def test_bulk_connect_says_when_oauth_is_the_better_path(client, alice, microsoft_configured):
    csv_text = (
        "email,provider,smtp_password\n"
        "sales@contoso.example,microsoft,pw-1\n"
        "ops@other.example,zoho,pw-2\n"
    )
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_import"), {"file": SimpleUploadedFile("boxes.csv", csv_text.encode())}
    )
    body = response.content.decode()
    assert body.count("data-row-advice") == 1
    assert "Connect with Microsoft instead" in body
    assert "data-oauth-advice" in body


@pytest.mark.parametrize(
    "reply",
    [
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.",
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled",
        "535 5.7.30 Basic authentication is not supported for Client Submission.",
    ],
)
def test_microsofts_basic_auth_refusals_are_recognised(reply):
    assert basic_auth_disabled(reply)


@pytest.mark.parametrize(
    "reply",
    ["535 5.7.8 Username and Password not accepted", "550 5.7.1390 x", "535 15.7.139", ""],
)
def test_other_refusals_are_not_taken_for_basic_auth_being_off(reply):
    assert not basic_auth_disabled(reply)


@given(st.text())
def test_any_reply_text_gets_an_answer(reply):
    assert basic_auth_disabled(reply) in (True, False)


def test_credentials_never_show_their_secret():
    login = Credentials("sender@acme.example", "ya29.secret-token", xoauth2=True)
    assert "ya29" not in repr(login)
    assert login.xoauth2_string() == (
        "user=sender@acme.example\x01auth=Bearer ya29.secret-token\x01\x01"
    )
