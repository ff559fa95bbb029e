"""The mailbox address comes from an id_token whose signature, issuer, audience, nonce and
expiry all hold; anything else is refused."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from smtp_accounts.oauth.flow import OAuthFlowError, identity_email, verified_identity
from smtp_accounts.oauth.providers import provider_config
from tests.servers.oauth import CLIENT_ID, TENANT

pytestmark = pytest.mark.django_db


def claims_for(provider, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": provider.issuer,
        "sub": "12345",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "nonce": "n-1",
        "email": "sender@acme.example",
        "email_verified": True,
    }
    if provider.mode == "microsoft":
        claims["tid"] = TENANT
    return {k: v for k, v in (claims | changes).items() if v is not None}


def signed(provider, claims, key=None) -> str:
    return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, key or provider.key)


@pytest.fixture(params=["google", "microsoft"])
def fake(request, settings, oauth_provider_session):
    oauth_provider_session.reset(request.param)
    settings.OAUTH_MAILBOX_PROVIDERS = {
        **settings.OAUTH_MAILBOX_PROVIDERS,
        request.param: oauth_provider_session.settings(
            smtp=("localhost", 25, "starttls"), imap=("localhost", 993, "ssl")
        ),
    }
    return oauth_provider_session, provider_config(request.param)


def test_a_genuine_id_token_gives_its_address(fake):
    server, provider = fake
    claims = verified_identity(provider, signed(server, claims_for(server)), nonce="n-1")
    assert identity_email(provider, claims) == "sender@acme.example"


@pytest.mark.parametrize(
    "changes",
    [
        {"nonce": "n-2"},  # another sign-in's token
        {"aud": "someone-elses-client"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iss": "https://evil.example"},
        {"nonce": None},
        {"sub": None},
    ],
    ids=["nonce", "audience", "expired", "issuer", "no-nonce", "no-subject"],
)
def test_a_token_that_does_not_hold_is_refused(fake, changes):
    server, provider = fake
    with pytest.raises(OAuthFlowError):
        verified_identity(provider, signed(server, claims_for(server, **changes)), nonce="n-1")


def test_a_token_signed_with_another_key_is_refused(fake):
    server, provider = fake
    forged = signed(
        server, claims_for(server), RSAKey.generate_key(2048, parameters={"kid": "fake-1"})
    )
    with pytest.raises(OAuthFlowError):
        verified_identity(provider, forged, nonce="n-1")


def test_a_microsoft_token_of_another_tenant_than_its_issuer_is_refused(fake):
    server, provider = fake
    if provider.key != "microsoft":
        pytest.skip("tenants are Microsoft's")
    claims = claims_for(server, tid="00000000-0000-0000-0000-000000000000")
    with pytest.raises(OAuthFlowError):
        verified_identity(provider, signed(server, claims), nonce="n-1")


def test_an_unverified_google_address_is_refused(fake):
    server, provider = fake
    if provider.key != "google":
        pytest.skip("Google states whether the address is verified")
    claims = verified_identity(
        provider, signed(server, claims_for(server, email_verified=False)), nonce="n-1"
    )
    with pytest.raises(OAuthFlowError):
        identity_email(provider, claims)
