"""Open pixel and click redirect: events recorded, machines flagged, nothing redirects elsewhere."""

import datetime
import email
import re
import wsgiref.util
from email import policy

import pytest
import time_machine
from django.core import signals
from django.db import close_old_connections

from campaigns.authoring.services import variant_save
from campaigns.models import Event, OutboundMessage, TrackedLink
from campaigns.reports.numbers import campaign_report
from campaigns.sending.launch import campaign_launch
from campaigns.tracking.flush import tracking_flush
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


def html_of(received) -> str:
    message = email.message_from_bytes(received.data, policy=policy.default)
    return message.get_body(("html",)).get_content()


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1, track_clicks=True)
        for variant in campaign.steps.get().variants.all():
            variant_save(
                variant=variant,
                subject="Hi",
                body_html='<p>See <a href="https://vela.example/case?a=1&amp;b=2">our case</a> '
                'or <a href="mailto:x@vela.example">write</a></p>',
                weight=1,
            )
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    [received] = smtp_server.received
    return OutboundMessage.objects.get(), html_of(received)


def path(url: str) -> str:
    return url.removeprefix("http://localhost:8000")


class WSGIResponse:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = dict(headers)
        self.content = body

    def __getitem__(self, name):
        return self.headers[name]


class FastPathClient:
    """GETs through the production WSGI entry point (postigo.wsgi), fast path included."""

    def get(self, url, headers=None):
        from postigo.wsgi import application

        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": url.split("?")[0]}
        environ["QUERY_STRING"] = url.partition("?")[2]
        environ["HTTP_HOST"] = "localhost"
        for name, value in (headers or {}).items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        wsgiref.util.setup_testing_defaults(environ)
        started = {}
        # As Django's test client does: the test's transaction must outlive the request.
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = application(environ, lambda s, h: started.update(status=s, headers=h))
            body = b"".join(response)
            getattr(response, "close", lambda: None)()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return WSGIResponse(started["status"], started["headers"], body)


@pytest.fixture(params=["django", "wsgi"])
def client(request, client):
    """Each tracking test runs through the Django views and through the WSGI fast path."""
    return client if request.param == "django" else FastPathClient()


def test_links_are_rewritten_and_the_pixel_added(sent):
    message, html = sent
    clicks = re.findall(r'href="(http://localhost:8000/t/c/[^"]+)"', html)
    assert len(clicks) == 1
    assert 'href="mailto:x@vela.example"' in html
    assert re.search(r'<img src="http://localhost:8000/t/o/[^"]+\.gif" width="1"', html)
    assert list(TrackedLink.objects.values_list("position", "url")) == [
        (1, "https://vela.example/case?a=1&b=2")
    ]
    assert "/u/" in html  # the footer's unsubscribe link is not tracked


def test_opens_and_clicks_are_recorded_and_machines_flagged(client, sent):
    message, html = sent
    pixel = path(re.search(r'<img src="([^"]+)"', html).group(1))
    click = path(re.search(r'href="(http://localhost:8000/t/c/[^"]+)"', html).group(1))
    later = START + datetime.timedelta(hours=3)
    with time_machine.travel(later, tick=False):
        response = client.get(pixel, headers={"User-Agent": CHROME})
        assert response["Content-Type"] == "image/gif" and response.content.startswith(b"GIF89a")
        client.get(pixel, headers={"User-Agent": "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"})
        client.get(pixel, headers={"User-Agent": "Mozilla/5.0"})  # Apple Mail privacy proxy
        redirect = client.get(click, headers={"User-Agent": CHROME})
        assert (redirect.status_code, redirect["Location"]) == (
            302,
            "https://vela.example/case?a=1&b=2",
        )
        client.get(click, headers={"User-Agent": "Mimecast URL scanner"})
    assert not Event.objects.exists()  # buffered, not written on the request path
    assert tracking_flush() == 5
    events = list(Event.objects.order_by("created_at", "pk").values_list("kind", "machine"))
    assert events == [
        ("open", False),
        ("open", True),
        ("open", True),
        ("click", False),
        ("click", True),
    ]
    message.refresh_from_db()
    assert message.opened_at == message.clicked_at == later
    totals = campaign_report(message.enrollment.campaign)["totals"]
    assert (totals["opened"], totals["clicked"]) == (1, 1)
    assert tracking_flush() == 0 and Event.objects.count() == 5


def test_a_scanner_clicking_right_after_delivery_is_a_machine(client, sent):
    message, html = sent
    click = path(re.search(r'href="(http://localhost:8000/t/c/[^"]+)"', html).group(1))
    with time_machine.travel(message.sent_at + datetime.timedelta(seconds=3), tick=False):
        client.get(click, headers={"User-Agent": CHROME})  # a browser-like scanner
    with time_machine.travel(message.sent_at + datetime.timedelta(minutes=5), tick=False):
        client.get(click, headers={"User-Agent": CHROME})  # the person
    tracking_flush()
    assert list(Event.objects.order_by("created_at", "pk").values_list("machine", flat=True)) == [
        True,
        False,
    ]
    message.refresh_from_db()
    assert message.clicked_at == message.sent_at + datetime.timedelta(minutes=5)


def test_a_link_with_non_ascii_characters_redirects_percent_encoded(client, sent):
    message, html = sent
    TrackedLink.objects.create(message=message, position=2, url="https://vela.example/café?q=ü")
    click = path(re.search(r'href="(http://localhost:8000/t/c/[^"]+)"', html).group(1))
    response = client.get(click.replace("/1/", "/2/"))
    assert response.status_code == 302
    assert response["Location"] == "https://vela.example/caf%C3%A9?q=%C3%BC"


def test_nothing_redirects_anywhere_else(client, sent):
    message, html = sent
    click = path(re.search(r'href="(http://localhost:8000/t/c/[^"]+)"', html).group(1))
    signed = click.split("/")[3]
    assert client.get(click + "?next=//evil.example").status_code == 302
    assert client.get(click + "?next=//evil.example")["Location"].startswith(
        "https://vela.example/"
    )
    assert client.get(f"/t/c/{signed}/2/").status_code == 404  # no such link
    assert client.get(f"/t/c/{signed}/0/").status_code == 404
    assert client.get(f"/t/c/{signed}/{10**30}/").status_code == 404
    assert client.get(f"/t/c/{signed[:-2]}xx/1/").status_code == 404  # tampered
    assert client.get(f"/t/c/{message.token}/1/").status_code == 404  # unsigned token
    assert client.get("/t/c/%2F%2Fevil.example/1/").status_code == 404
    assert client.get("/t/o/forged.gif").status_code == 200  # a pixel, but no event
    tracking_flush()
    # Only the two real clicks above were recorded.
    assert list(Event.objects.values_list("kind", flat=True)) == ["click", "click"]


def test_tracking_off_leaves_the_email_alone(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1, track_opens=False)
        variant_save(
            variant=campaign.steps.get().variants.get(label="A"),
            subject="Hi",
            body_html='<p><a href="https://vela.example/">x</a></p>',
            weight=5,
        )
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    html = html_of(smtp_server.received[0])
    assert "/t/o/" not in html and "/t/c/" not in html
    assert not TrackedLink.objects.exists()


def test_the_wsgi_fast_path_answers_tracking_urls_itself(sent):
    message, html = sent
    pixel = path(re.search(r'<img src="([^"]+)"', html).group(1))
    click = path(re.search(r'href="(http://localhost:8000/t/c/[^"]+)"', html).group(1))
    fast = FastPathClient()
    image = fast.get(pixel, {"User-Agent": CHROME})
    # Django's middleware would have added X-Frame-Options: these never reached it.
    assert "X-Frame-Options" not in image.headers
    assert image["Cache-Control"].startswith("max-age=0, no-cache, no-store")
    redirect = fast.get(click)
    assert (redirect.status_code, redirect["Referrer-Policy"]) == (302, "no-referrer")
    assert "X-Frame-Options" not in redirect.headers
    # An unknown link is left to Django, for the product's own 404 page.
    missing = fast.get(click.replace("/1/", "/7/"))
    assert missing.status_code == 404 and "X-Frame-Options" in missing.headers
    assert tracking_flush() == 2
