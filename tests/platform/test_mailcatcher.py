import smtplib
from email.message import EmailMessage

import pytest
from django.urls import NoReverseMatch, reverse

from postigo.management.commands.mailcatcher import catcher
from tests.factories import free_port


def test_it_stores_each_message_as_an_eml_file(tmp_path):
    port = free_port()
    controller = catcher(tmp_path, "127.0.0.1", port)
    controller.start()
    try:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "a@example.com", "b@example.com", "Hello"
        msg.set_content("Body text")
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            smtp.login("any", "login")  # accepted without TLS: loopback, development only
            smtp.send_message(msg)
    finally:
        controller.stop()
    [stored] = list(tmp_path.glob("*.eml"))
    raw = stored.read_text()
    assert "Subject: Hello" in raw and "Body text" in raw
    assert "X-Mailcatcher-To: b@example.com" in raw


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
