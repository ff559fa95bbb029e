"""Connecting a mailbox with OAuth: the authorization code flow with PKCE (S256).

`oauth_authorization_start` keeps, in the user's session, one pending sign-in per `state`: the
provider, the workspace, the PKCE verifier, the OpenID nonce and the mailbox being reconnected.
`oauth_authorization_finish` takes that entry out before anything else (so a callback replayed,
or one whose `state` was made elsewhere, finds nothing and is refused), checks the workspace,
exchanges the code, verifies the id_token (signature from the provider's keys, issuer, audience,
nonce, expiry) and takes the mailbox address from it — it is never typed.
"""

from __future__ import annotations

import secrets
import time

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accounts.models import Workspace
from smtp_accounts.models import Mailbox, OAuthToken
from smtp_accounts.oauth.client import oauth_client, timeout
from smtp_accounts.oauth.providers import EXTRA_AUTHORIZE_PARAMS, Provider, provider_config
from smtp_accounts.oauth.tokens import oauth_grant_store

SESSION_KEY = "oauth_mailbox_flows"
FLOW_MAX_AGE = 600  # seconds a sign-in may take at the provider
MAX_PENDING = 5  # sign-ins started and not finished, per session
ID_TOKEN_LEEWAY = 120  # seconds of clock difference tolerated


class OAuthFlowError(Exception):
    """The sign-in cannot complete; the message says why, for the user."""


def oauth_authorization_start(
    *,
    session,
    workspace: Workspace,
    provider: Provider,
    redirect_uri: str,
    mailbox: Mailbox | None = None,
) -> str:
    """The provider's authorization URL to send the user to; remembers the sign-in."""
    state, verifier, nonce = (
        secrets.token_urlsafe(32),
        generate_token(64),
        secrets.token_urlsafe(16),
    )
    params = dict(EXTRA_AUTHORIZE_PARAMS[provider.key], nonce=nonce)
    if mailbox is not None:
        params["login_hint"] = mailbox.email
    url, _state = oauth_client(provider, redirect_uri=redirect_uri).create_authorization_url(
        provider.authorize_url, state=state, code_verifier=verifier, **params
    )
    now = time.time()
    flows = {
        key: flow
        for key, flow in session.get(SESSION_KEY, {}).items()
        if now - flow["at"] < FLOW_MAX_AGE
    }
    while len(flows) >= MAX_PENDING:
        flows.pop(min(flows, key=lambda key: flows[key]["at"]))
    flows[state] = {
        "provider": provider.key,
        "workspace": workspace.pk,
        "verifier": verifier,
        "nonce": nonce,
        "mailbox": mailbox.pk if mailbox is not None else None,
        "at": now,
    }
    session[SESSION_KEY] = flows
    return url


def _take_flow(session, state: str) -> dict | None:
    flows = dict(session.get(SESSION_KEY, {}))
    flow = flows.pop(state, None) if state else None
    session[SESSION_KEY] = flows
    if flow is None or time.time() - flow["at"] >= FLOW_MAX_AGE:
        return None
    return flow


def oauth_authorization_finish(
    *, session, workspace: Workspace, redirect_uri: str, params, may_take_over: bool = False
) -> tuple[Mailbox, bool]:
    """Complete the sign-in the provider redirected back with: (the mailbox, whether new).

    `may_take_over`: the user may turn a mailbox of the workspace that is not theirs to
    reconnect (a password mailbox of the same address) into this OAuth account's (owners and
    admins); see `_connect`."""
    flow = _take_flow(session, params.get("state", ""))
    if flow is None or flow["workspace"] != workspace.pk:
        raise OAuthFlowError(
            _("This sign-in was not started here, has expired or was already used. Start again.")
        )
    provider = provider_config(flow["provider"])
    if params.get("error"):
        if params["error"] == "access_denied":
            raise OAuthFlowError(
                _("Access was not granted at %(provider)s.") % {"provider": provider.label}
            )
        raise OAuthFlowError(
            _("%(provider)s could not sign you in (%(error)s).")
            % {"provider": provider.label, "error": params["error"][:100]}
        )
    code = params.get("code", "")
    if not code:
        raise OAuthFlowError(_("%(provider)s sent no code back.") % {"provider": provider.label})
    try:
        token = oauth_client(provider, redirect_uri=redirect_uri).fetch_token(
            provider.token_url, code=code, code_verifier=flow["verifier"], timeout=timeout()
        )
    except OAuthError as exc:
        raise OAuthFlowError(
            _("%(provider)s refused the sign-in (%(error)s). Start again.")
            % {"provider": provider.label, "error": exc.error}
        ) from exc
    except (requests.RequestException, ValueError) as exc:
        raise OAuthFlowError(
            _("%(provider)s did not answer. Try again in a minute.") % {"provider": provider.label}
        ) from exc
    claims = verified_identity(provider, token.get("id_token", ""), nonce=flow["nonce"])
    _check_scopes(provider, token)
    if not token.get("refresh_token"):
        raise OAuthFlowError(
            _("%(provider)s gave no lasting access (no refresh token). Start again.")
            % {"provider": provider.label}
        )
    return _connect(workspace, provider, claims, token, flow["mailbox"], may_take_over)


def verified_identity(provider: Provider, id_token: str, *, nonce: str) -> dict:
    """The id_token's claims once its signature, issuer, audience, nonce and times hold."""
    refused = OAuthFlowError(
        _("%(provider)s's answer could not be verified. Start again.")
        % {"provider": provider.label}
    )
    if not id_token:
        raise refused
    try:
        response = requests.get(provider.jwks_url, timeout=timeout())
        response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, JoseError) as exc:
        raise OAuthFlowError(
            _("%(provider)s did not answer. Try again in a minute.") % {"provider": provider.label}
        ) from exc
    try:
        claims = jwt.decode(id_token, keys, algorithms=["RS256"]).claims
        jwt.JWTClaimsRegistry(
            leeway=ID_TOKEN_LEEWAY,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(claims)
    except (JoseError, ValueError) as exc:
        raise refused from exc
    if not provider.accepts_issuer(claims):
        raise refused
    return claims


def identity_email(provider: Provider, claims: dict) -> str:
    """The mailbox address the provider vouches for."""
    email = claims.get("email") or ""
    if provider.key == "microsoft":  # `email` may be absent; the sign-in name is the mailbox
        email = email or claims.get("preferred_username") or ""
    elif claims.get("email_verified") is False:
        email = ""
    email = email.strip().lower()
    if "@" not in email or any(c in email for c in "\r\n<> "):
        raise OAuthFlowError(
            _("%(provider)s did not give a verified email address for this account.")
            % {"provider": provider.label}
        )
    return email


def _check_scopes(provider: Provider, token: dict) -> None:
    """The user may untick the mail permission on the consent page: refuse a grant without it."""
    granted = set(str(token.get("scope", provider.scope)).split())
    needed = {s for s in provider.scope.split() if s.startswith("https://")}
    if not needed <= granted:
        raise OAuthFlowError(
            _(
                "Postigo needs permission to send and read mail at %(provider)s. "
                "Start again and allow it."
            )
            % {"provider": provider.label}
        )


def _may_become_oauth(
    mailbox: Mailbox, provider: Provider, claims: dict, may_take_over: bool
) -> bool:
    """Whether a sign-in may take over an existing mailbox of the same address.

    The same account (its stable id) always may. Otherwise the address is only as good as the
    provider's word for it: Google verifies it (`email_verified`), Microsoft's `email` and
    `preferred_username` are not verified, so a member could sign in to a tenant of their own
    under a colleague's address and wipe that mailbox's password. Then only an owner or admin
    may take it over."""
    grant = OAuthToken.objects.filter(mailbox=mailbox).first()
    if grant is not None:
        return grant.provider == provider.key and grant.subject == str(claims["sub"])
    if provider.key == "google" and claims.get("email_verified") is True:
        return True
    return may_take_over


@transaction.atomic
def _connect(
    workspace: Workspace,
    provider: Provider,
    claims: dict,
    token: dict,
    mailbox_id: int | None,
    may_take_over: bool = False,
) -> tuple[Mailbox, bool]:
    email = identity_email(provider, claims)
    mailboxes = Mailbox.objects.for_workspace(workspace).select_for_update()
    if mailbox_id is not None:  # Reconnect: the same account, whatever the user picked there
        mailbox = mailboxes.filter(pk=mailbox_id).first()
        if mailbox is None:
            raise OAuthFlowError(_("That mailbox no longer exists."))
        if mailbox.email.lower() != email:
            raise OAuthFlowError(
                _(
                    "You signed in as %(signed)s, but this mailbox is %(mailbox)s. "
                    "Sign in as %(mailbox)s."
                )
                % {"signed": email, "mailbox": mailbox.email}
            )
    else:
        mailbox = mailboxes.filter(email__iexact=email).first()
        if mailbox is not None and not _may_become_oauth(mailbox, provider, claims, may_take_over):
            raise OAuthFlowError(
                _(
                    "%(email)s is already a mailbox of this workspace, connected another way. "
                    "An owner or admin can connect it with %(provider)s, or use Reconnect on "
                    "its page."
                )
                % {"email": email, "provider": provider.label}
            )
    created = mailbox is None
    if created:
        preset = provider.preset
        mailbox = Mailbox(
            workspace=workspace,
            email=email,
            from_name=str(claims.get("name", ""))[:120],
            daily_cap=preset.daily_cap,
            hourly_cap=preset.hourly_cap,
            min_gap_seconds=preset.min_gap_seconds,
        )
    had_grant = mailbox.oauth_connected if not created else False
    # The servers are the provider's (the token is only ever sent there); a password mailbox of
    # the same address becomes an OAuth one and forgets its password.
    mailbox.provider = provider.key
    mailbox.oauth_provider = provider.key
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = (
        provider.smtp.host,
        provider.smtp.port,
        provider.smtp.security,
    )
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = (
        provider.imap.host,
        provider.imap.port,
        provider.imap.security,
    )
    mailbox.smtp_username, mailbox.smtp_password = email, ""
    mailbox.imap_username, mailbox.imap_password = "", ""
    if not created and (mailbox.status == Mailbox.Status.PAUSED_BY_ERROR or not had_grant):
        # Reconnected after a revoked grant or a Disconnect: sending again.
        mailbox.status, mailbox.status_reason = Mailbox.Status.ACTIVE, ""
        mailbox.status_changed_at = timezone.now()
        mailbox.consecutive_failures = 0
    mailbox.save()
    oauth_grant_store(mailbox=mailbox, provider=provider, subject=str(claims["sub"]), token=token)
    return mailbox, created
