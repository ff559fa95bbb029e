from datetime import timedelta
from urllib.parse import urlparse

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Invitation, Membership, Notification
from tests.conftest import first_link, make_user

pytestmark = pytest.mark.django_db


def invite(client, email="dana@example.com", role="member"):
    return client.post(reverse("workspace_members"), {"email": email, "role": role})


@pytest.fixture
def dana(db):
    return make_user("dana@example.com", name="Dana Diaz")


def invitation_path(django_capture_on_commit_callbacks, client, **kwargs) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, **kwargs)
    assert response.status_code == 302
    return urlparse(first_link(mail.outbox[-1].body)).path


def test_an_owner_invites_by_email(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client)
    assert path.startswith("/invite/")
    assert mail.outbox[-1].to == ["dana@example.com"]
    assert "Acme outreach" in mail.outbox[-1].subject
    assert AuditLog.objects.filter(action=AuditLog.Action.INVITE_SENT).exists()


def test_the_invited_person_accepts(client, alice, dana, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client, role="admin")
    client.force_login(dana)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    membership = Membership.objects.get(user=dana, workspace__name="Acme outreach")
    assert membership.role == Membership.Role.ADMIN
    assert membership.workspace.name == "Acme outreach"
    # The new member now works in the workspace they joined.
    assert client.get(reverse("dashboard")).context["request"].workspace == membership.workspace
    assert Notification.objects.filter(user=alice, title__contains="dana@example.com").exists()
    # A link works once.
    assert client.post(path).status_code == 400


def test_an_expired_invitation_is_refused(client, alice, dana, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client)
    client.force_login(dana)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Membership.objects.filter(user=dana, workspace__name="Acme outreach").exists()


def test_the_wrong_person_cannot_accept(client, alice, charlie, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client)
    client.force_login(charlie)
    response = client.post(path)
    assert response.status_code == 400
    assert "was sent to dana@example.com" in response.content.decode()
    assert not Membership.objects.filter(user=charlie, workspace__name="Acme outreach").exists()


def test_a_tampered_token_is_refused(client, dana):
    client.force_login(dana)
    response = client.get("/invite/not-a-real-token/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_withdrawn_invitation_is_refused(client, alice, dana, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client)
    invitation = Invitation.objects.get()
    client.post(reverse("invitation_revoke", args=[invitation.pk]))
    client.force_login(dana)
    assert client.post(path).status_code == 400


def test_members_cannot_invite(client, bob):
    client.force_login(bob)
    response = invite(client)
    assert response.status_code == 403  # the permission matrix: members.manage
    assert "This can be done by: Owner, Admin." in response.content.decode()
    assert not Invitation.objects.exists()


def test_anonymous_visitors_are_asked_to_sign_in(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    path = invitation_path(django_capture_on_commit_callbacks, client)
    client.logout()
    response = client.get(path)
    assert response.status_code == 200
    assert "Sign in" in response.content.decode()
