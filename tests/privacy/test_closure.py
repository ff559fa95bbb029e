"""Closing a workspace or an account, restoring it within 30 days, and the purge after that."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Membership, User, Workspace
from campaigns.models import Campaign, Lead
from privacy.purge import purge_rule
from smtp_accounts.models import Mailbox
from tests.conftest import PASSWORD, enable_two_factor, totp_now
from tests.privacy.factories import erased, make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(workspace_a):
    campaign = make_campaign(workspace_a, at=timezone.now())
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    return campaign


def close_workspace(client, password=PASSWORD, confirm=True):
    data = {"workspace-password": password}
    if confirm:
        data["workspace-confirm"] = "on"
    return client.post(reverse("privacy_workspace_close"), data)


def test_an_owner_closes_the_workspace_and_sending_stops_at_once(client, alice, bob, running):
    client.force_login(alice)
    close_workspace(client)

    workspace = Workspace.objects.get(pk=running.workspace_id)
    assert workspace.closed_at is not None and workspace.closed_by == alice
    running.refresh_from_db()
    assert running.status == "paused"
    mailbox = Mailbox.objects.get(pk=running.message.mailbox_id)
    assert (mailbox.smtp_password, mailbox.imap_password) == ("", "")
    assert mailbox.status == Mailbox.Status.PAUSED_BY_USER
    assert AuditLog.objects.filter(action="workspace_closed", workspace=workspace).exists()


def test_the_members_are_told_in_the_app_and_by_email(
    client, alice, bob, running, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        close_workspace(client)
    assert bob.notifications.filter(title__contains="closed the workspace").exists()
    sent_to = {address for message in mail.outbox for address in message.to}
    assert {"alice@example.com", "bob@example.com"} <= sent_to
    assert "until" in mail.outbox[0].body


def test_a_closed_workspace_is_out_of_reach_for_its_members(client, alice, bob, running):
    client.force_login(alice)
    close_workspace(client)
    client.force_login(bob)
    client.get(reverse("dashboard"))
    response = client.get(reverse("campaign_list"))
    assert running.name not in response.content.decode()


def test_a_closed_workspace_invites_nobody(client, alice, running):
    from accounts.models import Invitation

    invitation = Invitation.objects.create(
        workspace_id=running.workspace_id,
        email="new@example.com",
        expires_at=timezone.now() + datetime.timedelta(days=7),
    )
    client.force_login(alice)
    close_workspace(client)
    invitation.refresh_from_db()
    assert not invitation.is_pending


def test_the_operator_sees_privacy_choices_and_exports_without_their_links(
    operator_client, alice, running
):
    from privacy.models import DataExport
    from privacy.services import privacy_of

    privacy_of(running.workspace)
    export = DataExport.objects.create(user=alice, status="ready")
    page = operator_client.get(reverse("admin:privacy_dataexport_changelist")).content.decode()
    assert "alice@example.com" in page and export.token not in page
    detail = operator_client.get(reverse("admin:privacy_dataexport_change", args=[export.pk]))
    assert export.token not in detail.content.decode()
    choices = operator_client.get(reverse("admin:privacy_workspaceprivacy_changelist"))
    assert choices.status_code == 200


def test_closing_needs_the_password(client, alice, running):
    client.force_login(alice)
    response = close_workspace(client, password="wrong password")
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is None
    assert "not your password" in client.get(response.url).content.decode()


def test_closing_needs_the_confirmation(client, alice, running):
    client.force_login(alice)
    close_workspace(client, confirm=False)
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is None


def test_a_member_cannot_close_the_workspace(client, alice, bob, running):
    client.force_login(bob)
    close_workspace(client)
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is None


def test_close_restore_close_then_the_purge_erases_it_after_30_days(client, alice, running):
    workspace_id = running.workspace_id
    start = timezone.now()
    client.force_login(alice)
    close_workspace(client)

    with time_machine.travel(start + datetime.timedelta(days=29), tick=False):
        purge_rule(key="closed_workspaces")
        assert Workspace.objects.filter(pk=workspace_id).exists()
        client.force_login(alice)  # weeks later: a new session
        client.post(reverse("privacy_workspace_restore", args=[workspace_id]))
        assert Workspace.objects.get(pk=workspace_id).closed_at is None
        assert AuditLog.objects.filter(action="workspace_restored").exists()
        close_workspace(client)  # closed again: the 30 days start afresh

    with time_machine.travel(start + datetime.timedelta(days=29 + 30), tick=False):
        purge_rule(key="closed_workspaces")
        assert Workspace.objects.filter(pk=workspace_id).exists()  # the day of: still there

    with time_machine.travel(start + datetime.timedelta(days=29 + 31), tick=False):
        purge_rule(key="closed_workspaces")
    assert erased(workspace_id)
    assert not Lead.objects.filter(workspace_id=workspace_id).exists()
    assert not Campaign.objects.filter(pk=running.pk).exists()
    assert User.objects.filter(pk=alice.pk).exists()  # the person stays; only the workspace goes


def test_a_workspace_cannot_be_restored_after_its_30_days(client, alice, running):
    start = timezone.now()
    client.force_login(alice)
    close_workspace(client)
    with time_machine.travel(start + datetime.timedelta(days=32), tick=False):
        client.force_login(alice)
        client.post(reverse("privacy_workspace_restore", args=[running.workspace_id]))
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is not None


# --- Accounts ------------------------------------------------------------------------------------


def close_account(client, password=PASSWORD):
    return client.post(
        reverse("privacy_account_close"),
        {"account-password": password, "account-confirm": "on"},
    )


def test_the_only_owner_of_a_shared_workspace_must_hand_it_over_first(client, alice, bob):
    client.force_login(alice)
    response = close_account(client)
    alice.refresh_from_db()
    assert alice.is_active and alice.closed_at is None
    assert "only owner" in client.get(response.url).content.decode()

    Membership.objects.filter(user=bob).update(role="owner")
    close_account(client)
    alice.refresh_from_db()
    assert not alice.is_active and alice.closed_at is not None
    # The workspace carries on under bob.
    assert Workspace.objects.get(memberships__user=bob).closed_at is None


def test_closing_an_account_signs_out_and_closes_the_workspaces_used_alone(
    client, charlie, workspace_b, django_capture_on_commit_callbacks
):
    client.force_login(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        response = close_account(client)
    assert response.url.startswith(reverse("privacy_restore"))
    charlie.refresh_from_db()
    workspace_b.refresh_from_db()
    assert workspace_b.closed_at == charlie.closed_at
    assert client.get(reverse("dashboard")).status_code == 302  # signed out
    assert not client.login(email="charlie@example.com", password=PASSWORD)
    assert "restore" in mail.outbox[-1].body.lower()


def test_a_closed_account_is_restored_from_the_sign_in_page(client, charlie, workspace_b):
    client.force_login(charlie)
    close_account(client)

    response = client.post(
        reverse("privacy_restore"), {"email": "charlie@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    charlie.refresh_from_db()
    workspace_b.refresh_from_db()
    assert charlie.is_active and charlie.closed_at is None
    assert workspace_b.closed_at is None
    assert client.get(reverse("dashboard")).status_code == 200
    assert AuditLog.objects.filter(action="account_restored", user=charlie).exists()


def test_restoring_an_account_with_two_factor_asks_for_a_code(client, charlie):
    device, _codes = enable_two_factor(charlie)
    client.force_login(charlie)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    close_account(client)
    charlie.refresh_from_db()
    assert charlie.closed_at is not None
    client.logout()
    device.refresh_from_db()
    device.last_t = -1  # the next code may fall in the same 30 s window
    device.save()

    page = client.post(
        reverse("privacy_restore"), {"email": "charlie@example.com", "password": PASSWORD}
    )
    charlie.refresh_from_db()
    assert charlie.closed_at is not None
    assert "authenticator" in page.content.decode()

    client.post(
        reverse("privacy_restore"),
        {"email": "charlie@example.com", "password": PASSWORD, "code": totp_now(device)},
    )
    charlie.refresh_from_db()
    assert charlie.closed_at is None


def test_a_wrong_password_restores_nothing(client, charlie):
    client.force_login(charlie)
    close_account(client)
    page = client.post(
        reverse("privacy_restore"), {"email": "charlie@example.com", "password": "nope nope"}
    )
    charlie.refresh_from_db()
    assert charlie.closed_at is not None
    assert "do not match" in page.content.decode()


def test_a_closed_account_is_erased_by_the_purge_after_30_days(client, charlie, workspace_b):
    start = timezone.now()
    client.force_login(charlie)
    close_account(client)
    with time_machine.travel(start + datetime.timedelta(days=31), tick=False):
        assert (
            client.post(
                reverse("privacy_restore"), {"email": "charlie@example.com", "password": PASSWORD}
            ).status_code
            == 200
        )  # too late
        purge_rule(key="closed_accounts")
        purge_rule(key="closed_workspaces")
    assert not User.objects.filter(pk=charlie.pk).exists()
    assert erased(workspace_b.pk)


def test_an_owner_signs_in_on_the_restore_page_to_reopen_a_closed_workspace(client, alice, running):
    client.force_login(alice)
    close_workspace(client)
    client.logout()

    response = client.post(
        reverse("privacy_restore"), {"email": "alice@example.com", "password": PASSWORD}
    )
    assert response.url.endswith("#closed-workspaces")
    page = client.get(reverse("privacy_settings")).content.decode()
    assert reverse("privacy_workspace_restore", args=[running.workspace_id]) in page

    client.post(reverse("privacy_workspace_restore", args=[running.workspace_id]))
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is None


def test_the_restore_page_restores_nothing_for_an_open_account(client, alice):
    page = client.post(
        reverse("privacy_restore"), {"email": "alice@example.com", "password": PASSWORD}
    )
    assert "no closed workspace to restore" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_another_owner_workspace_cannot_be_restored_by_a_stranger(client, alice, charlie, running):
    client.force_login(alice)
    close_workspace(client)
    client.force_login(charlie)
    response = client.post(reverse("privacy_workspace_restore", args=[running.workspace_id]))
    assert response.status_code == 404
    assert Workspace.objects.get(pk=running.workspace_id).closed_at is not None
