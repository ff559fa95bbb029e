import email
import smtplib
from email.message import EmailMessage

import imapclient
import pytest
from django.urls import NoReverseMatch, reverse
from imapclient.exceptions import LoginError

from postigo.mailcatcher import MailCatcher
from tests.factories import free_port


@pytest.fixture
def catcher(tmp_path):
    catcher = MailCatcher(
        mail_dir=tmp_path / "mail",
        smtp_port=free_port(),
        imap_dir=tmp_path / "imap",
        imap_port=free_port(),
    )
    catcher.start()
    yield catcher
    catcher.stop()


def send(catcher, to: str, subject: str, *, sender: str = "a@example.com") -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content("Body text")
    with smtplib.SMTP("127.0.0.1", catcher.smtp.port) as smtp:
        smtp.login("any", "login")  # accepted without TLS: loopback, development only
        smtp.send_message(msg)


def inbox(catcher) -> list[email.message.Message]:
    with imapclient.IMAPClient("127.0.0.1", catcher.store.port, ssl=False) as client:
        client.login("demo", "demo")
        client.select_folder("INBOX", readonly=True)
        fetched = client.fetch(client.search("ALL"), ["BODY.PEEK[]"])
        return [email.message_from_bytes(data[b"BODY[]"]) for data in fetched.values()]


def test_it_stores_each_message_as_an_eml_file(catcher, tmp_path):
    send(catcher, "b@example.com", "Hello")
    [stored] = list((tmp_path / "mail").glob("*.eml"))
    raw = stored.read_text()
    assert "Subject: Hello" in raw and "Body text" in raw
    assert "X-Mailcatcher-To: b@example.com" in raw


def test_mail_for_a_localhost_address_is_delivered_to_its_imap_mailbox(catcher):
    send(catcher, "alex@postigo.localhost", "A reply", sender="lead@blue.example")
    send(catcher, "lead@blue.example", "A campaign email")  # leaves for the outside world
    [delivered] = inbox(catcher)
    assert delivered["Subject"] == "A reply"
    assert delivered["Return-Path"] == "<lead@blue.example>"  # as an MTA delivering it says
    assert delivered["Delivered-To"] == "alex@postigo.localhost"


def test_closing_a_mailbox_examined_read_only_removes_nothing_and_succeeds(catcher):
    send(catcher, "alex@postigo.localhost", "Keep me")
    with imapclient.IMAPClient("127.0.0.1", catcher.store.port, ssl=False) as client:
        client.login("demo", "demo")
        client.select_folder("INBOX", readonly=True)
        client.close_folder()  # what the inbox sync does before keeping its connection
        client.noop()
    [kept] = inbox(catcher)
    assert kept["Subject"] == "Keep me"


def test_the_imap_mailbox_refuses_a_wrong_password(catcher):
    client = imapclient.IMAPClient("127.0.0.1", catcher.store.port, ssl=False)
    with pytest.raises(LoginError):
        client.login("demo", "not the password")
    client.shutdown()


@pytest.mark.django_db
def test_the_viewer_does_not_exist_outside_debug(client):
    # settings.DEBUG is off in tests, so the URLs were never registered.
    with pytest.raises(NoReverseMatch):
        reverse("dev_mail_list")
    assert client.get("/dev/mail/").status_code == 404


@pytest.fixture
def caught(settings, tmp_path):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.platform.dev_mail_urls"
    settings.MAIL_CATCHER_DIR = tmp_path
    (tmp_path / "1.eml").write_bytes(b"Subject: Reset your password\r\nTo: a@x.example\r\n\r\nlink")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dev/mail/", "/dev/mail/1.eml/"])
def test_in_development_the_caught_mail_is_shown_to_this_machine(client, caught, path):
    response = client.get(path, REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200 and "Reset your password" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/dev/mail/", "/dev/mail/1.eml/"])
def test_others_on_the_network_and_behind_a_proxy_get_nothing(client, caught, path):
    assert client.get(path, REMOTE_ADDR="192.168.1.20").status_code == 404
    proxied = client.get(path, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert proxied.status_code == 404


@pytest.mark.django_db
def test_a_signed_in_staff_user_sees_it_from_anywhere(client, caught):
    from tests.conftest import make_user

    client.force_login(make_user("ops@example.com", is_staff=True))
    assert client.get("/dev/mail/", REMOTE_ADDR="192.168.1.20").status_code == 200
