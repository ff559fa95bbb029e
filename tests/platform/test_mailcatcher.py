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
