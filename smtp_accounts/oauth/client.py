"""The OAuth 2.0 client (authlib over requests) and its errors, for one provider."""

from __future__ import annotations

from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings

from smtp_accounts.oauth.providers import Provider


def oauth_client(provider: Provider, **kwargs) -> OAuth2Session:
    """A client for `provider`'s endpoints, PKCE with S256."""
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=provider.scope,
        code_challenge_method="S256",
        **kwargs,
    )


def timeout() -> float:
    return settings.OAUTH_HTTP_TIMEOUT
