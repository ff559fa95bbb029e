"""The SSRF guard on webhook endpoints, under production's rules: internal addresses are
refused before any connection, the checked address is the one connected to, and redirects are
not followed."""

from __future__ import annotations

import pytest

from api.models import WebhookDelivery
from api.services import webhook_endpoint_create
from api.webhooks import deliver_due, webhooks_emit
from tests.servers.dns import zone

pytestmark = pytest.mark.django_db


def deliver_to(workspace, url) -> WebhookDelivery:
    webhook_endpoint_create(workspace=workspace, url=url, events=[])
    webhooks_emit(workspace=workspace, event="email.sent", data={})
    deliver_due()
    return WebhookDelivery.objects.get()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::1]", "169.254.169.254", "10.0.0.5", "192.168.1.1", "0.0.0.0"],
)
def test_an_internal_address_is_refused(workspace_a, receiver, production_guard, host):
    delivery = deliver_to(workspace_a, f"http://{host}:{receiver.port}/hook")
    assert delivery.status == "pending"  # retried later: an address may become public again
    assert "internal address" in delivery.error
    assert delivery.response_status is None
    assert receiver.received == []


def test_a_name_resolving_to_a_private_address_is_refused(
    workspace_a, receiver, production_guard, dns_server
):
    dns_server.set_zones(zone("crm.example", "hooks A 10.1.2.3\n"))
    delivery = deliver_to(workspace_a, "http://hooks.crm.example/in")
    assert "internal address (10.1.2.3)" in delivery.error
    assert receiver.received == []


def test_one_private_address_among_public_ones_is_enough_to_refuse(
    workspace_a, production_guard, dns_server
):
    dns_server.set_zones(zone("crm.example", "hooks A 93.184.216.34\nhooks A 127.0.0.1\n"))
    delivery = deliver_to(workspace_a, "https://hooks.crm.example/in")
    assert "internal address (127.0.0.1)" in delivery.error


def test_a_redirect_to_localhost_is_not_followed(settings, workspace_a, receiver, production_guard):
    settings.MAILBOX_HOST_ALLOWLIST = ["127.0.0.1"]  # the receiver stands for a public host
    receiver.behaviour.status = 302
    receiver.behaviour.location = f"http://localhost:{receiver.port}/internal-admin"
    delivery = deliver_to(workspace_a, receiver.url("/hook"))
    assert [r.path for r in receiver.received] == ["/hook"]
    assert delivery.status == "pending"
    assert delivery.response_status == 302
    assert "Redirects are not followed" in delivery.error


def test_the_connection_goes_to_the_checked_address_under_the_original_name(
    workspace_a, receiver, dns_server
):
    # Development allows loopback; the name is resolved once, by us, and the socket goes to
    # that address while the request still names the host.
    dns_server.set_zones(zone("crm.example", "hooks A 127.0.0.1\n"))
    delivery = deliver_to(workspace_a, f"http://hooks.crm.example:{receiver.port}/in")
    assert delivery.status == "succeeded"
    [got] = receiver.received
    assert got.headers["host"] == f"hooks.crm.example:{receiver.port}"
    assert got.path == "/in"


def test_a_name_that_does_not_resolve_fails_the_attempt(workspace_a, production_guard, dns_server):
    dns_server.set_zones(zone("crm.example", "other A 93.184.216.34\n"))
    delivery = deliver_to(workspace_a, "https://hooks.crm.example/in")
    assert "hooks.crm.example could not be found" in delivery.error


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example/in",
        "http://user:pw@hooks.example/in",
        "not a url",
        "file:///etc/passwd",
    ],
)
def test_the_api_refuses_urls_that_are_not_plain_http(api, url):
    response = api.post("webhooks/endpoints", {"url": url})
    assert response.status_code == 422
    assert response.json()["field"] == "url"


@pytest.mark.parametrize(
    "host",
    [
        "100.100.100.200",  # Alibaba Cloud's metadata service (shared address space, RFC 6598)
        "100.64.0.1",  # carrier-grade NAT: another customer's or the provider's network
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
    ],
)
def test_an_address_outside_the_public_internet_is_refused_before_connecting(
    production_guard, host
):
    from api.webhooks import WebhookUrlError, checked_address

    with pytest.raises(WebhookUrlError, match="internal address"):
        checked_address(f"http://{host}/hook")
