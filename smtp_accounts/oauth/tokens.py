"""OAuth tokens of a mailbox: the access token refreshed shortly before it expires, one refresh
at a time per mailbox across workers, a revoked grant forgotten at once, Disconnect.

A refresh takes the grant's row lock (SELECT ... FOR UPDATE) and looks again: a worker that
waited finds the token another one just refreshed and uses it. This matters beyond saving a
call: Microsoft rotates refresh tokens, so two refreshes with the same one could cost the grant.

A refresh refused with `invalid_grant` (the user revoked access, changed the password, or the
grant expired) deletes the tokens and raises a non-temporary CredentialsUnavailable: the sender
pauses the mailbox and tells the workspace ("Reconnect"). A provider outage (5xx, timeout, an
unreadable answer) raises a temporary one: the messages wait and nothing is paused.
"""

from __future__ import annotations

import datetime
import logging

import requests
from authlib.integrations.base_client import OAuthError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smtp_accounts.handshake import CredentialsUnavailable
from smtp_accounts.models import Mailbox, OAuthToken
from smtp_accounts.oauth.client import oauth_client, timeout
from smtp_accounts.oauth.providers import Provider, provider_config

logger = logging.getLogger(__name__)

REFRESH_MARGIN = 300  # seconds before expiry: an SMTP session opened now still signs in
REVOKED_ERRORS = ("invalid_grant",)


def revoked(provider: Provider) -> CredentialsUnavailable:
    return CredentialsUnavailable(
        _(
            "Access to this mailbox was revoked or has expired at %(provider)s. Reconnect it with "
            "%(provider)s: its history, limits and campaigns stay."
        )
        % {"provider": provider.label}
    )


def unreachable(provider: Provider) -> CredentialsUnavailable:
    return CredentialsUnavailable(
        _("%(provider)s did not answer when the sign-in was renewed; trying again shortly.")
        % {"provider": provider.label},
        temporary=True,
    )


def mailbox_prepare_access(*, mailbox: Mailbox) -> str | CredentialsUnavailable:
    """Get the mailbox's access token (or why there is none) onto the mailbox, for the SMTP
    helper process, which signs in with it and never touches the database."""
    try:
        access: str | CredentialsUnavailable = oauth_access_token(mailbox=mailbox)
    except CredentialsUnavailable as exc:
        access = exc
    mailbox.oauth_access = access
    return access


def oauth_access_token(*, mailbox: Mailbox, force: bool = False) -> str:
    """A valid access token for the mailbox, refreshed if it expires within REFRESH_MARGIN
    (`force`: refreshed now, to learn whether the grant still stands)."""
    provider = provider_config(mailbox.oauth_provider)
    grant = OAuthToken.objects.filter(mailbox_id=mailbox.pk).first()
    if grant is None:
        raise revoked(provider)
    if not force and not grant.expires_within(REFRESH_MARGIN):
        return grant.access_token
    return _refresh(mailbox, provider, seen=grant.access_token if force else None)


def _refresh(mailbox: Mailbox, provider: Provider, *, seen: str | None) -> str:
    with transaction.atomic():
        grant = OAuthToken.objects.select_for_update().filter(mailbox_id=mailbox.pk).first()
        if grant is None:
            lost = True
        elif not grant.expires_within(REFRESH_MARGIN) and grant.access_token != seen:
            return grant.access_token  # another worker refreshed it while this one waited
        else:
            lost = not _renew(grant, provider)
            if not lost:
                return grant.access_token
    # Outside the transaction, so the deletion of a revoked grant is committed.
    raise revoked(provider)


def _renew(grant: OAuthToken, provider: Provider) -> bool:
    """Refresh the grant in place; False (and the grant deleted) when the provider refused it."""
    try:
        fresh = oauth_client(provider).refresh_token(
            provider.token_url, refresh_token=grant.refresh_token, timeout=timeout()
        )
    except OAuthError as exc:
        if exc.error in REVOKED_ERRORS:
            logger.info(
                "Mailbox %s: %s refused the refresh (%s)",
                grant.mailbox_id,
                provider.label,
                exc.error,
            )
            _forget(grant.mailbox_id, revoked(provider).message)
            return False
        logger.warning(
            "Mailbox %s: %s refused the refresh (%s)", grant.mailbox_id, provider.label, exc.error
        )
        raise unreachable(provider) from exc
    except (requests.RequestException, ValueError) as exc:
        logger.warning(
            "Mailbox %s: %s unreachable for a refresh: %s",
            grant.mailbox_id,
            provider.label,
            type(exc).__name__,
        )
        raise unreachable(provider) from exc
    if not fresh.get("access_token"):
        raise unreachable(provider)
    now = timezone.now()
    grant.access_token = fresh["access_token"]
    # Microsoft rotates the refresh token with every refresh; Google keeps the first one.
    grant.refresh_token = fresh.get("refresh_token") or grant.refresh_token
    grant.expires_at = now + datetime.timedelta(seconds=int(fresh.get("expires_in", 3600)))
    grant.scope = fresh.get("scope", grant.scope)
    grant.refreshed_at = now
    grant.save()
    return True


def oauth_grant_store(*, mailbox: Mailbox, provider: Provider, subject: str, token: dict) -> None:
    """Keep a new grant's tokens (encrypted), replacing any older grant of the mailbox."""
    OAuthToken.objects.update_or_create(
        mailbox=mailbox,
        defaults={
            "provider": provider.key,
            "subject": subject,
            "scope": token.get("scope", provider.scope),
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token", ""),
            "expires_at": timezone.now()
            + datetime.timedelta(seconds=int(token.get("expires_in", 3600))),
            "refreshed_at": None,
        },
    )


def oauth_disconnect(*, mailbox: Mailbox, revoke_after_commit: bool = False) -> bool:
    """Revoke the grant at the provider when it can (Google; Microsoft has no revocation
    endpoint) and delete the tokens at once, whatever the provider said. True when revoked.

    Inside a larger transaction (closing a workspace), pass `revoke_after_commit`: the tokens
    are deleted with that transaction and the provider is called once it has committed, so no
    HTTP call holds the transaction's locks open (and nothing is revoked if it rolls back).
    Returns False then: the answer is not known yet."""
    provider = provider_config(mailbox.oauth_provider)
    grant = OAuthToken.objects.filter(mailbox_id=mailbox.pk).first()
    token = ""
    if grant is not None and provider.can_revoke:
        token, hint = (
            (grant.refresh_token, "refresh_token")
            if grant.refresh_token
            else (grant.access_token, "access_token")
        )
    _forget(
        mailbox.pk,
        _("Disconnected from %(provider)s: reconnect to sign in again.")
        % {"provider": provider.label},
    )
    if not token:
        return False
    if revoke_after_commit:
        transaction.on_commit(lambda: _revoke(provider, token, hint, mailbox.pk))
        return False
    return _revoke(provider, token, hint, mailbox.pk)


def _revoke(provider, token: str, hint: str, mailbox_id: int) -> bool:
    """Revoking the refresh token ends the whole grant (RFC 7009; Google's revoke)."""
    try:
        response = oauth_client(provider).revoke_token(
            provider.revoke_url, token=token, token_type_hint=hint, timeout=timeout()
        )
    except requests.RequestException as exc:
        logger.warning(
            "Mailbox %s: %s unreachable to revoke: %s",
            mailbox_id,
            provider.label,
            type(exc).__name__,
        )
        return False
    return response.status_code == 200


def _forget(mailbox_id: int, why: str) -> None:
    """Delete the grant's tokens now; the mailbox's last test shows it can no longer sign in
    (a green check from before would say otherwise)."""
    OAuthToken.objects.filter(mailbox_id=mailbox_id).delete()
    check = {
        "protocol": "smtp",
        "ok": False,
        "stage": "auth",
        "message": why,
        "server_reply": "",
        "hint": str(_("Reconnect the mailbox with its provider.")),
    }
    Mailbox.objects.filter(pk=mailbox_id).update(
        last_test_ok=False, last_test_at=timezone.now(), last_test_result={"checks": [check]}
    )
