"""A stored mailbox password is only ever sent to the server it was entered for."""

import datetime

import pytest
from django.urls import reverse

from smtp_accounts.connection import check_imap, check_smtp
from smtp_accounts.imap_sync import SyncError, mailbox_sync
from smtp_accounts.models import Mailbox
from smtp_accounts.services import mailbox_send_batch
from tests.factories import make_mailbox, outgoing
from tests.servers.smtp import TestSMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def attacker_server(tmp_path, certificate):
    """A server of bob's own, on loopback, that records every AUTH it is sent."""
    server = TestSMTPServer(tmp_path / "attacker", certificate=certificate)
    server.password = "bobs-own-Passw0rd"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def alices_mailbox(workspace_a, alice, smtp_server):
    return make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
        imap_host="",
        imap_security="ssl",
    )


def edit_data(mailbox: Mailbox, **changes) -> dict:
    data = {
        "provider": mailbox.provider,
        "from_name": mailbox.from_name,
        "email": mailbox.email,
        "smtp_host": mailbox.smtp_host,
        "smtp_port": mailbox.smtp_port,
        "smtp_security": mailbox.smtp_security,
        "smtp_username": mailbox.smtp_username,
        "smtp_password": "",
        "imap_host": mailbox.imap_host,
        "imap_port": mailbox.imap_port,
        "imap_security": mailbox.imap_security,
        "imap_username": mailbox.imap_username,
        "imap_password": "",
        "daily_cap": mailbox.daily_cap,
        "hourly_cap": mailbox.hourly_cap,
        "min_gap_seconds": mailbox.min_gap_seconds,
        "gap_jitter_seconds": mailbox.gap_jitter_seconds,
        "warmup_start": mailbox.warmup_start,
        "warmup_increment": mailbox.warmup_increment,
        "timezone": mailbox.timezone,
        "signature_text": "",
        "signature_html": "",
    }
    return data | changes


def test_a_member_cannot_point_a_stored_password_at_a_server_of_their_own(
    client, bob, alices_mailbox, attacker_server
):
    before = Mailbox.objects.values().get(pk=alices_mailbox.pk)
    client.force_login(bob)
    response = client.post(
        reverse("mailbox_detail", args=[alices_mailbox.pk]),
        edit_data(alices_mailbox, smtp_host="127.0.0.1", smtp_port=attacker_server.port),
    )
    assert response.status_code == 403  # members may not edit mailboxes at all (the matrix)
    assert Mailbox.objects.values().get(pk=alices_mailbox.pk) == before
    assert attacker_server.auth_attempts == []


def test_an_admin_cannot_point_the_owners_stored_password_elsewhere_either(
    client, dave, alices_mailbox, attacker_server
):
    """Admins may edit mailboxes, but a password goes only where it was entered for: the
    edit is refused with a field error, nothing is saved, bob's server hears no AUTH."""
    before = Mailbox.objects.values().get(pk=alices_mailbox.pk)
    client.force_login(dave)
    response = client.post(
        reverse("mailbox_detail", args=[alices_mailbox.pk]),
        edit_data(alices_mailbox, smtp_host="127.0.0.1", smtp_port=attacker_server.port),
    )
    assert response.status_code == 200
    assert "Enter the SMTP password again" in response.content.decode()
    assert Mailbox.objects.values().get(pk=alices_mailbox.pk) == before
    assert attacker_server.auth_attempts == []
    assert attacker_server.received == []


@pytest.mark.parametrize(
    "change",
    [
        {"smtp_port": 2526},
        {"smtp_security": "ssl"},
        {"smtp_username": "bob@evil.example"},
        {"smtp_host": "LOCALHOST.evil.example"},
    ],
    ids=["port", "security", "username", "host"],
)
def test_changing_any_part_of_where_the_password_goes_asks_for_it_again(
    client, alice, alices_mailbox, change
):
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_detail", args=[alices_mailbox.pk]), edit_data(alices_mailbox, **change)
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["smtp_password"]
    alices_mailbox.refresh_from_db()
    assert alices_mailbox.smtp_port != 2526 and alices_mailbox.smtp_security == "starttls"


def test_changing_the_imap_server_asks_for_the_imap_password_again(client, alice, workspace_a):
    mailbox = make_mailbox(workspace_a, imap_host="imap.acme.example", imap_security="ssl")
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_detail", args=[mailbox.pk]),
        edit_data(mailbox, imap_host="imap.evil.example"),
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["imap_password"]
    mailbox.refresh_from_db()
    assert mailbox.imap_host == "imap.acme.example"


def test_with_the_password_entered_again_the_new_server_gets_it(
    client, alice, alices_mailbox, attacker_server
):
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_detail", args=[alices_mailbox.pk]),
        edit_data(
            alices_mailbox,
            smtp_port=attacker_server.port,
            smtp_password=attacker_server.password,
        ),
    )
    assert response.status_code == 302
    alices_mailbox.refresh_from_db()
    assert alices_mailbox.smtp_port == attacker_server.port
    assert alices_mailbox.last_test_ok is True
    assert attacker_server.auth_attempts == [attacker_server.username]


def test_editing_anything_else_keeps_the_password_and_its_server(
    client, alice, alices_mailbox, smtp_server
):
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_detail", args=[alices_mailbox.pk]),
        edit_data(alices_mailbox, from_name="Alice A.", daily_cap=150),
    )
    assert response.status_code == 302
    alices_mailbox.refresh_from_db()
    assert alices_mailbox.from_name == "Alice A."
    assert alices_mailbox.smtp_password == smtp_server.password
    assert check_smtp(alices_mailbox).ok


def moved_behind_the_forms_back(mailbox: Mailbox, **changes) -> Mailbox:
    """A server changed without the form (admin, shell, a bug): the binding stays as it was."""
    Mailbox.objects.filter(pk=mailbox.pk).update(**changes)
    return Mailbox.objects.get(pk=mailbox.pk)


def test_the_connection_test_refuses_a_server_the_password_was_not_entered_for(
    alices_mailbox, attacker_server
):
    mailbox = moved_behind_the_forms_back(alices_mailbox, smtp_port=attacker_server.port)
    result = check_smtp(mailbox)
    assert (result.ok, result.stage) == (False, "secret")
    assert f"localhost:{attacker_server.port}" in result.message
    assert attacker_server.auth_attempts == []


def test_sending_refuses_it_too_and_pauses_the_mailbox(alices_mailbox, attacker_server):
    mailbox = moved_behind_the_forms_back(alices_mailbox, smtp_port=attacker_server.port)
    results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    assert [r.outcome.value for r in results] == ["mailbox"]
    assert attacker_server.auth_attempts == [] and attacker_server.received == []
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_ERROR
    assert "entered for another server" in mailbox.status_reason


def test_imap_reading_refuses_a_server_the_password_was_not_entered_for(workspace_a, imap_server):
    mailbox = make_mailbox(
        workspace_a,
        imap_host="localhost",
        imap_port=imap_server.port,
        imap_security="starttls",
        imap_username=imap_server.username,
        imap_password=imap_server.password,
    )
    assert check_imap(mailbox).ok
    moved = moved_behind_the_forms_back(mailbox, imap_username="someone-else")
    assert check_imap(moved).stage == "secret"
    with pytest.raises(SyncError) as refused:
        mailbox_sync(moved, lambda batch: 0, since=datetime.datetime.now(datetime.UTC))
    assert refused.value.auth is True


def test_setting_a_new_password_in_code_binds_it_to_the_server_it_is_saved_with(
    alices_mailbox, attacker_server
):
    alices_mailbox.smtp_port = attacker_server.port
    alices_mailbox.smtp_password = attacker_server.password  # entered anew, for this server
    alices_mailbox.save()
    result = check_smtp(alices_mailbox)
    assert result.ok, result


def test_keeping_the_password_in_code_does_not_rebind_it(alices_mailbox, attacker_server):
    alices_mailbox.smtp_port = attacker_server.port
    alices_mailbox.save()
    assert check_smtp(Mailbox.objects.get(pk=alices_mailbox.pk)).stage == "secret"
    assert attacker_server.auth_attempts == []
