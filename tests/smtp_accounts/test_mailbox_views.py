import pytest
from django.urls import reverse

from smtp_accounts.models import Mailbox
from tests.factories import make_mailbox
from tests.servers.dns import zone

pytestmark = pytest.mark.django_db


def form_data(smtp_server, imap_server, **overrides):
    data = {
        "provider": "custom",
        "from_name": "Alice",
        "email": "sender@acme.example",
        "smtp_host": "localhost",
        "smtp_port": smtp_server.port,
        "smtp_security": "starttls",
        "smtp_username": smtp_server.username,
        "smtp_password": smtp_server.password,
        "imap_host": "localhost",
        "imap_port": imap_server.port,
        "imap_security": "starttls",
        "imap_username": imap_server.username,
        "imap_password": imap_server.password,
        "daily_cap": 200,
        "hourly_cap": 30,
        "min_gap_seconds": 120,
        "gap_jitter_seconds": 60,
        "warmup_enabled": "on",
        "warmup_start": 10,
        "warmup_increment": 5,
        "timezone": "UTC",
        "signature_text": "",
        "signature_html": "",
    }
    return data | overrides


def test_connecting_a_mailbox_tests_it_and_shows_green(client, alice, smtp_server, imap_server):
    client.force_login(alice)
    response = client.post(reverse("mailbox_create"), form_data(smtp_server, imap_server))
    mailbox = Mailbox.objects.get()
    assert response["Location"] == reverse("mailbox_detail", args=[mailbox.pk])
    assert mailbox.last_test_ok is True
    page = client.get(response["Location"]).content.decode()
    assert 'data-test-ok="yes"' in page
    assert "is connected" in page
    # Write-only: the password is never rendered back.
    assert smtp_server.password not in page and imap_server.password not in page


def test_a_wrong_password_shows_the_auth_stage_and_reply(client, alice, smtp_server, imap_server):
    client.force_login(alice)
    data = form_data(smtp_server, imap_server, smtp_password="wrong-password")
    response = client.post(reverse("mailbox_create"), data, follow=True)
    page = response.content.decode()
    assert 'data-check="smtp" data-stage="auth"' in page
    assert "535" in page
    assert "wrong-password" not in page
    assert Mailbox.objects.get().last_test_ok is False


def test_the_test_button_is_an_htmx_partial(client, alice, smtp_server, imap_server, workspace_a):
    mailbox = make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        imap_host="localhost",
        imap_port=imap_server.port,
        imap_security="starttls",
        imap_username=imap_server.username,
        imap_password=imap_server.password,
    )
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_test", args=[mailbox.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="test-result"')
    assert 'data-test-ok="yes"' in body, Mailbox.objects.get().last_test_result


def test_editing_without_a_password_keeps_the_stored_one(client, alice, workspace_a, settings):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    mailbox = make_mailbox(workspace_a, smtp_port=9, imap_host="")
    client.force_login(alice)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "s3cret-smtp-Passw0rd" not in page
    data = {
        "provider": "custom",
        "from_name": "Renamed",
        "email": mailbox.email,
        "smtp_host": "127.0.0.1",
        "smtp_port": 9,
        "smtp_security": "starttls",
        "smtp_username": mailbox.smtp_username,
        "smtp_password": "",
        "imap_host": "",
        "imap_port": 993,
        "imap_security": "ssl",
        "imap_username": "",
        "imap_password": "",
        "daily_cap": 100,
        "hourly_cap": 20,
        "min_gap_seconds": 60,
        "gap_jitter_seconds": 30,
        "warmup_start": 10,
        "warmup_increment": 5,
        "timezone": "UTC",
        "signature_text": "",
        "signature_html": "",
    }
    response = client.post(reverse("mailbox_detail", args=[mailbox.pk]), data)
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.from_name, mailbox.smtp_password) == ("Renamed", "s3cret-smtp-Passw0rd")


def test_a_provider_preset_prefills_servers_and_limits(client, alice):
    client.force_login(alice)
    response = client.get(
        reverse("mailbox_create") + "?provider=google", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="server-fields"')
    assert 'value="smtp.gmail.com"' in body and 'value="imap.gmail.com"' in body
    assert 'value="400"' in body


def test_hourly_limit_above_daily_is_refused(client, alice, smtp_server, imap_server):
    client.force_login(alice)
    response = client.post(
        reverse("mailbox_create"), form_data(smtp_server, imap_server, daily_cap=10, hourly_cap=50)
    )
    assert response.status_code == 200
    assert "cannot be above the daily limit" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_pause_and_resume(client, alice, workspace_a):
    mailbox = make_mailbox(workspace_a)
    client.force_login(alice)
    client.post(reverse("mailbox_toggle", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_USER
    client.post(reverse("mailbox_toggle", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.ACTIVE


def test_charlie_gets_404_on_workspace_a_mailboxes(client, alice, charlie, workspace_a):
    mailbox = make_mailbox(workspace_a)
    client.force_login(charlie)
    for name in ("mailbox_test", "mailbox_toggle", "mailbox_delete"):
        assert client.post(reverse(name, args=[mailbox.pk])).status_code == 404
    assert client.get(reverse("mailbox_detail", args=[mailbox.pk])).status_code == 404
    assert mailbox.email not in client.get(reverse("mailbox_list")).content.decode()
    assert Mailbox.objects.get(pk=mailbox.pk).status == Mailbox.Status.ACTIVE


def test_members_see_the_list(client, bob, workspace_a):
    make_mailbox(workspace_a)
    client.force_login(bob)
    assert "sender@acme.example" in client.get(reverse("mailbox_list")).content.decode()


# --- Provider detection from the address's MX records ----------------------------------------


def detect(client, email, provider="custom"):
    return client.get(
        reverse("mailbox_create"),
        {"email": email, "provider": provider},
        headers={"HX-Request": "true"},
    )


def test_typing_an_address_detects_the_provider_from_its_mx(client, alice, dns_server):
    dns_server.set_zones(
        zone("acme.example", "@ MX 1 aspmx.l.google.com.\n@ MX 5 alt1.aspmx.l.google.com.\n"),
        zone("contoso.example", "@ MX 0 contoso-example.mail.protection.outlook.com.\n"),
    )
    client.force_login(alice)

    page = detect(client, "sam@acme.example").content.decode()
    assert 'data-detected="google"' in page
    assert "aspmx.l.google.com" in page
    assert 'value="smtp.gmail.com"' in page and 'value="sam@acme.example"' in page
    assert 'hx-swap-oob="true"' in page and '<option value="google" selected>' in page

    assert 'data-detected="microsoft"' in detect(client, "pat@contoso.example").content.decode()


def test_free_mail_needs_no_lookup_and_unknown_mx_changes_nothing(client, alice, dns_server):
    dns_server.set_zones(zone("own.example", "@ MX 10 mail.own.example.\n"))
    client.force_login(alice)

    assert 'data-detected="yahoo"' in detect(client, "x@yahoo.com").content.decode()
    assert dns_server.queries == []
    assert detect(client, "x@own.example").status_code == 204  # custom: keep the form
    assert detect(client, "x@gmail.com", provider="google").status_code == 204  # already chosen
    assert detect(client, "not-an-address").status_code == 204
