"""The connection test against real servers: aiosmtpd (STARTTLS/implicit TLS + AUTH) and dovecot."""

import imaplib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient.exceptions import LoginError

from smtp_accounts.connection import Stage, check_imap, check_smtp, imap_error_text
from smtp_accounts.services import mailbox_test_connection
from tests.factories import make_mailbox
from tests.servers.smtp import GreetingServer

pytestmark = pytest.mark.django_db


def smtp_mailbox(workspace, server, **overrides):
    values = {
        "smtp_host": "localhost",
        "smtp_port": server.port,
        "smtp_security": "starttls",
        "smtp_username": server.username,
        "smtp_password": server.password,
    }
    return make_mailbox(workspace, **(values | overrides))


def test_starttls_and_auth_succeed(workspace_a, smtp_server):
    result = check_smtp(smtp_mailbox(workspace_a, smtp_server))
    assert (result.ok, result.stage) == (True, Stage.OK), result
    assert smtp_server.auth_attempts == [smtp_server.username]


def test_implicit_tls_succeeds(workspace_a, smtps_server):
    result = check_smtp(smtp_mailbox(workspace_a, smtps_server, smtp_security="ssl"))
    assert result.ok, result


def test_a_wrong_password_names_the_auth_stage_with_the_server_reply(workspace_a, smtp_server):
    mailbox = smtp_mailbox(workspace_a, smtp_server, smtp_password="wrong", provider="google")
    result = check_smtp(mailbox)
    assert (result.ok, result.stage) == (False, Stage.AUTH)
    assert result.server_reply.startswith("535")
    assert "app password" in result.hint
    assert "wrong" not in result.message + result.server_reply + result.hint


def test_a_certificate_we_do_not_trust_fails_at_tls(workspace_a, smtp_server, settings):
    settings.MAILBOX_TLS_CA_FILE = ""
    result = check_smtp(smtp_mailbox(workspace_a, smtp_server))
    assert (result.ok, result.stage) == (False, Stage.TLS)
    assert "CERTIFICATE_VERIFY_FAILED" in result.server_reply


def test_implicit_tls_against_a_starttls_port_fails_at_tls(workspace_a, smtp_server):
    result = check_smtp(smtp_mailbox(workspace_a, smtp_server, smtp_security="ssl"))
    assert (result.ok, result.stage) == (False, Stage.TLS)
    assert "465" in result.hint


def test_an_unknown_host_fails_at_dns(workspace_a, settings):
    result = check_smtp(make_mailbox(workspace_a, smtp_host="no-such-host.invalid"))
    assert (result.ok, result.stage) == (False, Stage.DNS)


def test_a_closed_port_fails_at_connect(workspace_a, settings):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    result = check_smtp(make_mailbox(workspace_a, smtp_host="127.0.0.1", smtp_port=9))
    assert (result.ok, result.stage) == (False, Stage.CONNECT)


def test_a_refusal_with_control_characters_is_shown_and_stored(workspace_a, settings):
    """The server's reply is the server's choice of bytes; PostgreSQL refuses a NUL in JSON,
    which would have made the connection test itself fail."""
    server = GreetingServer(b"554 5.7.1 No\x00 service for you\r\n")
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    try:
        mailbox = make_mailbox(
            workspace_a, smtp_host="127.0.0.1", smtp_port=server.port, imap_host=""
        )
        [result] = mailbox_test_connection(mailbox=mailbox)
    finally:
        server.stop()
    assert (result.ok, result.stage) == (False, Stage.CONNECT)
    mailbox.refresh_from_db()
    [stored] = mailbox.last_test_result["checks"]
    assert stored["server_reply"] == "554 5.7.1 No\ufffd service for you"


def test_a_silent_server_times_out(workspace_a, silent_server):
    mailbox = make_mailbox(workspace_a, smtp_host="127.0.0.1", smtp_port=silent_server.port)
    result = check_smtp(mailbox, timeout=1)
    assert (result.ok, result.stage) == (False, Stage.TIMEOUT)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.0.0.8", "192.168.1.1", "169.254.169.254", "::1"]
)
def test_internal_addresses_are_refused_in_production(workspace_a, settings, host):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False
    result = check_smtp(make_mailbox(workspace_a, smtp_host=host, smtp_port=25))
    assert (result.ok, result.stage) == (False, Stage.BLOCKED)


def test_the_operator_can_allowlist_an_internal_relay(workspace_a, smtp_server, settings):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False
    settings.MAILBOX_HOST_ALLOWLIST = ["127.0.0.0/8"]
    assert check_smtp(smtp_mailbox(workspace_a, smtp_server)).ok


def test_plaintext_is_refused_unless_allowed_to_loopback(workspace_a, smtp_server, settings):
    settings.MAILBOX_ALLOW_PLAINTEXT = False
    result = check_smtp(smtp_mailbox(workspace_a, smtp_server, smtp_security="none"))
    assert (result.ok, result.stage) == (False, Stage.TLS)


def imap_mailbox(workspace, server, **overrides):
    values = {
        "imap_host": "localhost",
        "imap_port": server.port,
        "imap_security": "starttls",
        "imap_username": server.username,
        "imap_password": server.password,
    }
    return make_mailbox(workspace, **(values | overrides))


def test_imap_login_and_inbox_succeed(workspace_a, imap_server):
    result = check_imap(imap_mailbox(workspace_a, imap_server))
    assert (result.ok, result.stage) == (True, Stage.OK), result


def test_imap_over_implicit_tls_succeeds(workspace_a, imap_server):
    mailbox = imap_mailbox(
        workspace_a, imap_server, imap_port=imap_server.ssl_port, imap_security="ssl"
    )
    assert check_imap(mailbox).ok


def test_imap_wrong_password_names_the_auth_stage(workspace_a, imap_server):
    result = check_imap(imap_mailbox(workspace_a, imap_server, imap_password="nope"))
    assert (result.ok, result.stage) == (False, Stage.AUTH)
    assert result.server_reply == "[AUTHENTICATIONFAILED] Authentication failed."


def test_imap_uses_the_smtp_credentials_when_none_are_given(workspace_a, imap_server):
    mailbox = imap_mailbox(
        workspace_a,
        imap_server,
        imap_username="",
        imap_password="",
        smtp_username=imap_server.username,
        smtp_password=imap_server.password,
    )
    assert check_imap(mailbox).ok


@given(reply=st.binary(max_size=80), before=st.sampled_from(["", "select failed: "]))
def test_an_imap_error_reads_as_the_servers_words(reply, before):
    """imaplib raises with the server's reply as bytes; what we show is its text, whatever
    bytes it holds (quotes, backslashes, invalid UTF-8, NUL)."""
    words = reply.decode("utf-8", "replace").replace("\x00", "\ufffd")
    assert imap_error_text(LoginError(str(reply))) == words.strip()
    assert imap_error_text(imaplib.IMAP4.error(f"{before}{reply!r}")) == (before + words).strip()


def test_an_imap_error_without_bytes_is_kept_as_written():
    assert imap_error_text(OSError(111, "Connection refused")) == "[Errno 111] Connection refused"
    assert imap_error_text(LoginError("bob'[x]")) == "bob'[x]"
