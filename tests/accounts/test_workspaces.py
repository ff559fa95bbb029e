import pytest
from django.urls import reverse

from accounts.models import AuditLog, Invitation, Membership, Notification
from accounts.services import notify

pytestmark = pytest.mark.django_db


def test_charlie_gets_404_on_workspace_a_objects(client, alice, bob, charlie, workspace_a):
    invitation = Invitation.objects.create(
        workspace=workspace_a,
        email="x@example.com",
        invited_by=alice,
        expires_at="2099-01-01T00:00:00Z",
    )
    bob_membership = Membership.objects.get(user=bob)
    [note] = notify(workspace=workspace_a, title="Mailbox paused", users=[alice])
    client.force_login(charlie)
    assert client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 404
    assert (
        client.post(
            reverse("membership_role", args=[bob_membership.pk]), {"role": "owner"}
        ).status_code
        == 404
    )
    assert client.post(reverse("membership_remove", args=[bob_membership.pk])).status_code == 404
    assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Membership.objects.get(user=bob).role == Membership.Role.MEMBER
    note.refresh_from_db()
    assert note.read_at is None


def test_charlie_cannot_switch_into_workspace_a(client, charlie, workspace_a):
    client.force_login(charlie)
    client.post(reverse("workspace_switch", args=[workspace_a.pk]))
    response = client.get(reverse("dashboard"))
    assert response.context["request"].workspace != workspace_a


def test_alice_switches_between_her_workspaces(client, alice, workspace_b):
    Membership.objects.create(workspace=workspace_b, user=alice, role=Membership.Role.MEMBER)
    client.force_login(alice)
    client.post(reverse("workspace_switch", args=[workspace_b.pk]))
    assert client.get(reverse("dashboard")).context["request"].workspace == workspace_b


def test_only_owners_change_roles_and_it_is_audited(client, alice, bob):
    bob_membership = Membership.objects.get(user=bob)
    client.force_login(bob)
    client.post(reverse("membership_role", args=[bob_membership.pk]), {"role": "owner"})
    assert Membership.objects.get(user=bob).role == Membership.Role.MEMBER

    client.force_login(alice)
    client.post(reverse("membership_role", args=[bob_membership.pk]), {"role": "admin"})
    assert Membership.objects.get(user=bob).role == Membership.Role.ADMIN
    entry = AuditLog.objects.get(action=AuditLog.Action.ROLE_CHANGED)
    assert entry.metadata == {
        "member": "bob@example.com",
        "old_role": "member",
        "new_role": "admin",
    }


def test_the_last_owner_cannot_leave_or_be_demoted(client, alice):
    membership = Membership.objects.get(user=alice)
    client.force_login(alice)
    client.post(reverse("membership_remove", args=[membership.pk]))
    client.post(reverse("membership_role", args=[membership.pk]), {"role": "member"})
    assert Membership.objects.get(user=alice).role == Membership.Role.OWNER


def test_owner_removes_a_member(client, alice, bob):
    client.force_login(alice)
    client.post(reverse("membership_remove", args=[Membership.objects.get(user=bob).pk]))
    assert not Membership.objects.filter(user=bob).exists()
    assert AuditLog.objects.filter(action=AuditLog.Action.MEMBER_REMOVED).exists()


def test_someone_left_without_a_workspace_gets_their_own(client, bob):
    Membership.objects.filter(user=bob).delete()
    client.force_login(bob)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert Membership.objects.get(user=bob).role == Membership.Role.OWNER


def test_notifications_are_per_person(client, alice, bob, workspace_a):
    notify(workspace=workspace_a, title="Import finished")
    client.force_login(alice)
    client.post(reverse("notification_read_all"))
    assert Notification.objects.get(user=alice).read_at is not None
    assert Notification.objects.get(user=bob).read_at is None
    client.force_login(bob)
    response = client.get(reverse("dashboard"))
    assert response.context["unread_notifications"] == 1
    assert "Import finished" in response.content.decode()


def test_the_bell_dropdown_is_an_htmx_partial(client, alice, workspace_a):
    notify(workspace=workspace_a, title="Mailbox paused")
    client.force_login(alice)
    response = client.get(reverse("notification_list"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Mailbox paused" in body
    assert "<html" not in body
