"""Mailboxes through the API keep the rules the pages keep."""

from __future__ import annotations

import pytest

from smtp_accounts.models import Mailbox
from tests.smtp_accounts.factories import make_mailbox

pytestmark = pytest.mark.django_db


def test_a_disconnected_oauth_mailbox_cannot_be_resumed_through_the_api(api, workspace_a):
    mailbox = make_mailbox(
        workspace_a,
        oauth_provider="google",
        smtp_password="",
        status=Mailbox.Status.PAUSED_BY_USER,
        status_reason="Disconnected from Google",
    )

    response = api.post(f"mailboxes/{mailbox.pk}/resume")

    assert response.status_code == 409
    assert response.json()["code"] == "not_connected"
    assert "reconnected with Google" in response.json()["message"]
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_USER


def test_a_password_mailbox_resumes_through_the_api(api, workspace_a):
    mailbox = make_mailbox(workspace_a, status=Mailbox.Status.PAUSED_BY_USER)
    response = api.post(f"mailboxes/{mailbox.pk}/resume")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
