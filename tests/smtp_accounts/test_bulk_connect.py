import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smtp_accounts.models import Mailbox

pytestmark = pytest.mark.django_db


def upload(client, text: str | bytes, name="boxes.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(reverse("mailbox_import"), {"file": SimpleUploadedFile(name, data)})


def test_good_rows_connect_and_bad_rows_are_reported_by_line(
    client, alice, smtp_server, imap_server, django_capture_on_commit_callbacks
):
    csv_text = (
        "email,smtp_host,smtp_port,smtp_security,smtp_username,smtp_password,imap_host,imap_port,"
        "imap_security,imap_username,imap_password\n"
        f"sender@acme.example,localhost,{smtp_server.port},starttls,{smtp_server.username},"
        f"{smtp_server.password},localhost,{imap_server.port},starttls,{imap_server.username},"
        f"{imap_server.password}\n"
        "not-an-email,localhost,25,starttls,x,pw,,,,,\n"
        f"sender@acme.example,localhost,{smtp_server.port},starttls,x,pw,,,,,\n"
        "\n"
        "second@acme.example,localhost,99999,starttls,x,pw,,,,,\n"
    )
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text)
    body = response.content.decode()
    assert response.status_code == 200
    assert Mailbox.objects.count() == 1
    assert 'data-line="2" data-ok="yes"' in body
    assert 'data-line="3" data-ok="no"' in body and "Enter a valid email address" in body
    assert 'data-line="4" data-ok="no"' in body and "appears earlier in the file" in body
    assert 'data-line="6" data-ok="no"' in body and "SMTP port" in body
    # The connection test ran as a task for the saved mailbox.
    assert Mailbox.objects.get().last_test_ok is True
    status = client.get(reverse("mailbox_import_status") + f"?id={Mailbox.objects.get().pk}")
    assert 'data-pending="no"' in status.content.decode()


def test_a_provider_column_fills_in_servers(client, alice, settings):
    client.force_login(alice)
    upload(client, "email;provider;smtp_password\nann@acme.example;google;app-pass-1234\n")
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security) == (
        "smtp.gmail.com",
        465,
        "ssl",
    )
    assert mailbox.smtp_username == "ann@acme.example" and mailbox.daily_cap == 400
    assert mailbox.smtp_password == "app-pass-1234"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV file"),
        (b"name,host\nx,y\n", "Missing column(s): email, smtp_password"),
        (b"email,smtp_password\n", "no mailboxes"),
    ],
)
def test_unusable_files_get_a_clear_error(client, alice, content, message):
    client.force_login(alice)
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Mailbox.objects.exists()


def test_windows_1252_files_are_read(client, alice):
    client.force_login(alice)
    text = (
        "email,from_name,smtp_host,smtp_password\nj@acme.example,Jörg Müller,mail.acme.example,pw\n"
    )
    upload(client, text.encode("cp1252"))
    assert Mailbox.objects.get().from_name == "Jörg Müller"


def test_status_only_shows_your_own_mailboxes(client, alice, charlie, workspace_a):
    from tests.factories import make_mailbox

    mailbox = make_mailbox(workspace_a)
    client.force_login(charlie)
    response = client.get(reverse("mailbox_import_status") + f"?id={mailbox.pk}")
    assert mailbox.email not in response.content.decode()


def test_a_file_with_cr_only_line_ends_is_read_row_by_row(client, alice):
    client.force_login(alice)
    response = upload(
        client, "email,smtp_host,smtp_password\rann@acme.example,mail.acme.example,pw\r"
    )
    assert response.status_code == 200
    assert Mailbox.objects.get().email == "ann@acme.example"


def test_a_stray_cr_in_a_later_row_is_reported_not_a_server_error(client, alice):
    client.force_login(alice)
    text = (
        "email,smtp_host,smtp_password\n"
        "ann@acme.example,mail.acme.example,pw\n"
        "bob@acme.example,mail.acme\r.example,pw\n"
    )
    response = upload(client, text)
    assert response.status_code == 200
    assert 'data-line="2" data-ok="yes"' in response.content.decode()
    assert 'data-ok="no"' in response.content.decode()  # the broken row, by its line


def test_a_cell_over_the_csv_limit_gets_a_clear_error_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    text = "email,smtp_host,smtp_password\nann@acme.example,mail.acme.example,pw\n"
    text += "bob@acme.example," + "x" * 140_000 + ",pw\n"
    response = upload(client, text)
    assert response.status_code == 400
    assert "Line 3 cannot be read" in response.content.decode()
    assert "at most 131,072 characters" in response.content.decode()
    assert not Mailbox.objects.exists()


@pytest.mark.parametrize("value", ["99999999999999999999999", "²", "-1", "１２"])
def test_status_ignores_ids_no_row_can_have(client, alice, value):
    client.force_login(alice)
    response = client.get(reverse("mailbox_import_status") + f"?id={value}")
    assert response.status_code == 200
