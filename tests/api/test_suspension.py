"""A suspended workspace sends nothing (DESIGN §5.9): not even an answer to a reply."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Workspace
from campaigns.models import SentReply
from smtp_accounts.models import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def answerable(world, smtp_server):
    """World's reply, its mailbox pointed at the test SMTP server."""
    mailbox = Mailbox.objects.get(pk=world["mailbox"])
    mailbox.smtp_host, mailbox.smtp_port = "localhost", smtp_server.port
    mailbox.smtp_username, mailbox.smtp_password = smtp_server.username, smtp_server.password
    mailbox.bind_secrets()  # the password entered for this server (core/secret_binding.py)
    mailbox.save()
    return world["reply"]


def test_a_reply_is_answered_while_the_workspace_may_send(api, answerable, smtp_server):
    response = api.post(f"replies/{answerable}/answer", {"body": "Thursday works."})
    assert response.status_code == 201, response.json()
    assert len(smtp_server.received) == 1


def test_a_suspended_workspace_cannot_answer_a_reply(api, workspace_a, answerable, smtp_server):
    Workspace.objects.filter(pk=workspace_a.pk).update(
        suspended_at=timezone.now(), suspension_reason="Abuse review"
    )

    response = api.post(f"replies/{answerable}/answer", {"body": "Thursday works."})

    assert response.status_code == 409
    assert "suspended" in response.json()["message"]
    assert smtp_server.received == []
    assert not SentReply.objects.exists()
