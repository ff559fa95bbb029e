"""Shared fixtures: alice owns workspace A, dave is its admin, bob a member and vera a viewer;
charlie owns workspace B."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import uuid
from binascii import unhexlify

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, User, Workspace
from accounts.two_factor import backup_code_digest
from postigo.celery import app as celery_app
from tests.servers import imap
from tests.servers.ai_apis import FakeGemini, FakeOpenAI
from tests.servers.dns import TestDNSServer, unused_udp_port
from tests.servers.oauth import FakeOAuthProvider
from tests.servers.smtp import SilentServer, TestSMTPServer
from tests.servers.tls import make_certificate

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    # bcrypt is the production hasher (tested on its own); hashing every fixture user
    # with it would only make the suite slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    # A request for a French user activates French for the thread (LocaleMiddleware, as in any
    # Django server, where the next request activates its own); tests share one thread.
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _sessions_outlive_time_travel(settings):
    # Tests travel days through time with a signed-in client; session expiry
    # (accounts/session_expiry.py) is tested on its own, with its own settings.
    settings.SESSION_IDLE_HOURS = settings.SESSION_LIFETIME_HOURS = 24 * 365 * 10


@pytest.fixture(autouse=True)
def _no_smtp_session_outlives_its_test():
    yield
    from smtp_accounts.background import clear_sessions
    from smtp_accounts.sessions import SESSIONS

    SESSIONS.clear()
    clear_sessions()  # the SMTP helper process's own


@pytest.fixture(autouse=True)
def _own_tracking_stream(settings):
    # Each test buffers tracking hits in its own Redis stream (when Redis is configured).
    settings.TRACKING_STREAM = f"postigo-test:tracking:{uuid.uuid4().hex}"
    yield
    if settings.TRACKING_REDIS_URL:
        import redis

        from campaigns.tracking.buffer import _client

        # (A test may have pointed the buffer at a dead port on purpose.)
        with contextlib.suppress(redis.RedisError):
            _client(settings.TRACKING_REDIS_URL).delete(settings.TRACKING_STREAM)


@pytest.fixture(autouse=True)
def _dns_stays_on_loopback(settings):
    # Every DNS check goes to a loopback port nobody answers on, unless a test starts the
    # DNS server: a forgotten record fails fast instead of reaching the internet.
    settings.DNS_NAMESERVERS = [f"127.0.0.1:{unused_udp_port()}"]
    settings.DNS_TIMEOUT = 1


@pytest.fixture(scope="session")
def dns_server_session():
    server = TestDNSServer().start()
    yield server
    server.stop()


@pytest.fixture
def dns_server(dns_server_session, settings):
    """A DNS server on 127.0.0.1 serving the zones the test sets with `set_zones`."""
    dns_server_session.set_zones()
    dns_server_session.queries.clear()
    settings.DNS_NAMESERVERS = [dns_server_session.nameserver]
    settings.DNS_TIMEOUT = 3
    return dns_server_session


@pytest.fixture(autouse=True)
def _celery_eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def make_user(email: str, *, name: str = "", password: str = PASSWORD, **extra) -> User:
    user = User.objects.create_user(email, password, name=name, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user


@pytest.fixture
def workspace_a(db) -> Workspace:
    return Workspace.objects.create(name="Acme outreach")


@pytest.fixture
def workspace_b(db) -> Workspace:
    return Workspace.objects.create(name="Bravo agency")


@pytest.fixture
def alice(workspace_a) -> User:
    user = make_user("alice@example.com", name="Alice Archer")
    Membership.objects.create(workspace=workspace_a, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def bob(workspace_a) -> User:
    user = make_user("bob@example.com", name="Bob Baker")
    Membership.objects.create(workspace=workspace_a, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def dave(workspace_a) -> User:
    """An admin of workspace A."""
    user = make_user("dave@example.com", name="Dave Dixon")
    Membership.objects.create(workspace=workspace_a, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def vera(workspace_a) -> User:
    """A viewer of workspace A (e.g. an agency's client): reads, changes nothing."""
    user = make_user("vera@example.com", name="Vera Vance")
    Membership.objects.create(workspace=workspace_a, user=user, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def charlie(workspace_b) -> User:
    user = make_user("charlie@example.com", name="Charlie Chen")
    Membership.objects.create(workspace=workspace_b, user=user, role=Membership.Role.OWNER)
    return user


def totp_now(device: TOTPDevice, *, at: float | None = None) -> str:
    totp = TOTP(unhexlify(device.key), device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


def totp_from_secret(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def enable_two_factor(user: User) -> tuple[TOTPDevice, list[str]]:
    """Give `user` a confirmed authenticator and ten backup codes, as the set-up flow does."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(10)]
    for code in codes:
        static.token_set.create(token=backup_code_digest(code))  # stored as the flow stores them
    return device, codes


def first_link(text: str) -> str:
    match = re.search(r"https?://\S+", text)
    assert match, f"no link in: {text!r}"
    return match.group(0)


def dump_every_table() -> str:
    """Everything the database holds, as text, read with plain SQL."""
    out = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            out.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(out)


# --- Real mail servers (aiosmtpd and dovecot), started by fixtures ---------------------------


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """One self-signed certificate for every test mail server; its file is the CA to trust."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server(tmp_path, settings, certificate):
    server = TestSMTPServer(tmp_path, certificate=certificate).start()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True  # the test servers live on loopback
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    yield server
    server.stop()


@pytest.fixture
def smtps_server(tmp_path, settings, certificate):
    server = TestSMTPServer(tmp_path, implicit_tls=True, certificate=certificate).start()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    yield server
    server.stop()


@pytest.fixture
def silent_server(settings):
    server = SilentServer()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    yield server
    server.stop()


@pytest.fixture(scope="session")
def imap_server_session(certificate):
    if not imap.available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the IMAP tests, but dovecot is not installed (or not root)")
        pytest.skip("Debian's dovecot-imapd is not installed (apt-get install dovecot-imapd)")
    server = imap.TestIMAPServer(certificate).start()
    yield server
    server.stop()


@pytest.fixture
def imap_server(imap_server_session, settings):
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(imap_server_session.cert)
    return imap_server_session


# --- Mailboxes over OAuth: a fake Google/Microsoft, SMTP and dovecot checking its tokens -------


@pytest.fixture(scope="session")
def oauth_provider_session():
    provider = FakeOAuthProvider().start()
    yield provider
    provider.stop()


@pytest.fixture(scope="session")
def oauth_imap_server_session(certificate, oauth_provider_session):
    if not imap.available():
        if os.environ.get("CI"):
            pytest.fail("CI must run the IMAP tests, but dovecot is not installed (or not root)")
        pytest.skip("Debian's dovecot-imapd is not installed (apt-get install dovecot-imapd)")
    server = imap.TestIMAPServer(
        certificate, introspection_url=f"{oauth_provider_session.base_url}/introspect"
    ).start()
    yield server
    server.stop()


@pytest.fixture
def oauth_smtp_server(tmp_path, settings, certificate, oauth_provider_session):
    server = TestSMTPServer(
        tmp_path,
        certificate=certificate,
        introspection_url=f"{oauth_provider_session.base_url}/introspect",
    ).start()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    yield server
    server.stop()


def _oauth_configured(mode, settings, provider, smtp_server, imap_server):
    provider.reset(mode)
    settings.OAUTH_MAILBOX_PROVIDERS = {
        **settings.OAUTH_MAILBOX_PROVIDERS,
        mode: provider.settings(
            smtp=("localhost", smtp_server.port, "starttls"),
            imap=("localhost", imap_server.ssl_port, "ssl"),
        ),
    }
    return provider


@pytest.fixture
def google_oauth(settings, oauth_provider_session, oauth_smtp_server, oauth_imap_server_session):
    """The fake provider speaking as Google, configured; mail servers accept its tokens."""
    return _oauth_configured(
        "google", settings, oauth_provider_session, oauth_smtp_server, oauth_imap_server_session
    )


@pytest.fixture
def microsoft_oauth(settings, oauth_provider_session, oauth_smtp_server, oauth_imap_server_session):
    """The fake provider speaking as Microsoft (Entra ID), configured likewise."""
    return _oauth_configured(
        "microsoft", settings, oauth_provider_session, oauth_smtp_server, oauth_imap_server_session
    )


# --- Fake AI providers (OpenAI and Gemini wire formats), started by fixtures -------------------

OPENAI_KEY = "sk-test-alice-0123456789abcdef"


@pytest.fixture
def quick_ai(settings):
    settings.AI_TIMEOUT_SECONDS = 0.5
    settings.AI_RETRY_BUDGET_SECONDS = 5
    settings.AI_MAX_ATTEMPTS = 3


@pytest.fixture
def fake_openai(settings, quick_ai):
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = f"{server.url}/v1"
    yield server
    server.stop()


@pytest.fixture
def fake_gemini(settings, quick_ai):
    server = FakeGemini().start()
    settings.GEMINI_BASE_URL = server.url
    settings.GEMINI_API_KEY = "platform-gemini-key"
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    yield server
    server.stop()


@pytest.fixture
def openai_workspace(workspace_a, fake_openai):
    """Workspace A answered by its own OpenAI key, through the fake server."""
    from ai.models import AISettings, ProviderKey

    AISettings.objects.create(workspace=workspace_a, provider=AISettings.Provider.OPENAI)
    ProviderKey.objects.create(workspace=workspace_a, provider="openai", secret=OPENAI_KEY)
    return workspace_a


@pytest.fixture
def gemini_workspace(workspace_a, fake_gemini):
    """Workspace A on the built-in provider, with the operator's Gemini key set."""
    return workspace_a
