"""The SSRF guard: only globally routable addresses, checked once and connected to as checked.

Names are answered by the loopback DNS server; no test connects anywhere but 127.0.0.1."""

import ipaddress

import pytest

from smtp_accounts import network
from smtp_accounts.connection import Stage, check_imap, check_smtp
from smtp_accounts.sender import MailboxSender
from tests.factories import make_mailbox, outgoing
from tests.servers.dns import zone
from tests.servers.smtp import TestSMTPServer
from tests.servers.tls import make_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def guarded(settings, dns_server):
    """Production rules, with users' host names answered by the test DNS server."""
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False
    settings.MAILBOX_HOST_ALLOWLIST = []
    settings.MAILBOX_DNS_NAMESERVERS = [dns_server.nameserver]
    return dns_server


@pytest.mark.parametrize(
    "address",
    [
        "100.100.100.200",  # carrier-grade NAT: a cloud metadata service lives here
        "100.64.0.1",
        "169.254.169.254",
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.0.1",
        "192.0.0.170",
        "198.18.0.1",  # benchmarking
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fc00::1",
        "fe80::1",
        "fec0::1",  # site-local
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "2002:808:808::1",  # 6to4 at all: the relay decides where it goes
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "::ffff:127.0.0.1",
        "::ffff:100.100.100.200",
        "2001:db8::1",
        "ff02::1",
    ],
)
def test_an_address_that_is_not_globally_routable_is_refused(address):
    assert network.is_public(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"])
def test_a_public_address_is_allowed(address):
    assert network.is_public(ipaddress.ip_address(address)) is True


def test_a_name_pointing_at_cgnat_is_refused(guarded):
    guarded.set_zones(zone("attacker.example", "mail A 100.100.100.200\n"))
    with pytest.raises(network.HostNotAllowed, match="100.100.100.200"):
        network.resolve_checked("mail.attacker.example", 587)


def test_every_address_of_a_name_is_checked_not_only_the_first(guarded):
    guarded.set_zones(
        zone("attacker.example", "mail A 8.8.8.8\nmail A 127.0.0.1\nmail AAAA 2002:7f00:1::1\n")
    )
    with pytest.raises(network.HostNotAllowed):
        network.resolve_checked("mail.attacker.example", 587)


def test_a_public_name_is_resolved_once_and_its_addresses_returned(guarded):
    guarded.set_zones(zone("acme.example", "smtp A 8.8.4.4\nsmtp AAAA 2001:4860:4860::8844\n"))
    assert network.resolve_checked("smtp.acme.example", 587) == [
        "8.8.4.4",
        "2001:4860:4860::8844",
    ]


def test_an_unknown_name_is_refused_with_a_message(guarded):
    with pytest.raises(network.HostNotAllowed, match="could not be found"):
        network.resolve_checked("nowhere.example", 587)


def test_the_operator_allow_list_admits_a_network_or_a_name(guarded, settings):
    guarded.set_zones(zone("corp.example", "relay A 10.20.0.5\nother A 10.30.0.5\n"))
    settings.MAILBOX_HOST_ALLOWLIST = ["10.20.0.0/16"]
    assert network.resolve_checked("relay.corp.example", 25) == ["10.20.0.5"]
    with pytest.raises(network.HostNotAllowed):
        network.resolve_checked("other.corp.example", 25)
    settings.MAILBOX_HOST_ALLOWLIST = ["other.corp.example"]
    assert network.resolve_checked("other.corp.example", 25) == ["10.30.0.5"]


def test_the_mailbox_checks_refuse_cgnat_hosts(guarded, workspace_a):
    guarded.set_zones(zone("attacker.example", "mail A 100.100.100.200\n"))
    mailbox = make_mailbox(
        workspace_a, smtp_host="mail.attacker.example", imap_host="mail.attacker.example"
    )
    assert check_smtp(mailbox).stage == Stage.BLOCKED
    assert check_imap(mailbox).stage == Stage.BLOCKED


# --- DNS rebinding: the answer changes between the check and the connection ------------------
# The name is known only to the test DNS server: a client that looked it up again itself (the
# system resolver) would not find it, and one that asked the DNS server again would be sent to
# 127.0.0.2, which is not allowed and where nothing listens. Only a connection to the checked
# address reaches the test server.

NAME = "mail.rebind.test"
CHECKED = "mail A 127.0.0.1\n"  # where the test servers listen; allow-listed below
REBOUND = "mail A 127.0.0.2\n"  # not allow-listed: a connection here would be the SSRF


@pytest.fixture
def rebinding(guarded, settings):
    """`mail.rebind.test` answers 127.0.0.1 (allowed) to the first question, 127.0.0.2 after."""
    settings.MAILBOX_HOST_ALLOWLIST = ["127.0.0.1/32"]
    rebind(guarded)
    return guarded


def rebind(dns_server):
    dns_server.set_zones(zone("rebind.test", CHECKED))
    dns_server.rebind_after_first_answer(NAME + ".", zone("rebind.test", REBOUND))


def production_rules(settings):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False  # (the mail server fixtures allow loopback)


def a_questions(dns_server) -> int:
    return sum(1 for name, rdtype in dns_server.queries if name == NAME + "." and rdtype == "A")


def test_the_guard_decides_on_the_first_answer_and_refuses_the_rebound_one(rebinding):
    assert network.resolve_checked(NAME, 993) == ["127.0.0.1"]
    with pytest.raises(network.HostNotAllowed, match="127.0.0.2"):
        network.resolve_checked(NAME, 993)


@pytest.fixture
def imap_mailbox(rebinding, settings, imap_server, workspace_a):
    production_rules(settings)
    settings.MAILBOX_ALLOW_PLAINTEXT = True  # to loopback only; the certificate is localhost's
    return make_mailbox(
        workspace_a,
        imap_host=NAME,
        imap_port=imap_server.port,
        imap_security="none",
        imap_username=imap_server.username,
        imap_password=imap_server.password,
    )


def test_the_imap_test_connects_to_the_address_that_was_checked(rebinding, imap_mailbox):
    result = check_imap(imap_mailbox)
    assert (result.ok, result.stage) == (True, Stage.OK), result
    assert a_questions(rebinding) == 1  # asked once; the rebound answer was never used


def test_imap_sync_connects_to_the_address_that_was_checked(rebinding, imap_mailbox):
    import datetime

    from smtp_accounts.imap_sync import mailbox_sync

    mailbox_sync(imap_mailbox, lambda batch: 0, since=datetime.datetime.now(datetime.UTC))
    assert a_questions(rebinding) == 1


@pytest.fixture
def named_smtp_server(tmp_path, settings):
    """An SMTP server whose certificate is valid for the rebinding name."""
    certificate = make_certificate(tmp_path, names=(NAME,))
    server = TestSMTPServer(tmp_path, certificate=certificate).start()
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    yield server
    server.stop()


def test_smtp_test_and_sending_connect_to_the_address_that_was_checked(
    rebinding, settings, named_smtp_server, workspace_a
):
    production_rules(settings)
    mailbox = make_mailbox(
        workspace_a,
        smtp_host=NAME,
        smtp_port=named_smtp_server.port,
        smtp_username=named_smtp_server.username,
        smtp_password=named_smtp_server.password,
        imap_host="",
        imap_security="ssl",
    )
    assert check_smtp(mailbox).ok
    assert a_questions(rebinding) == 1
    rebind(rebinding)
    with MailboxSender(mailbox) as sender:
        result = sender.send(outgoing(1)[0])
    assert result.outcome.value == "sent"
    assert len(named_smtp_server.received) == 1
    assert a_questions(rebinding) == 2  # one look-up per session, none behind the check


def test_a_socket_for_webhooks_and_oauth_goes_to_the_checked_address(
    rebinding, settings, smtp_server
):
    production_rules(settings)
    with network.pinned_connection(NAME, smtp_server.port, timeout=5) as sock:
        assert sock.getpeername() == ("127.0.0.1", smtp_server.port)
    with pytest.raises(network.HostNotAllowed):  # the second question gets the rebound answer
        network.pinned_connection(NAME, smtp_server.port, timeout=5)
