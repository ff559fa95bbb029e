"""Connecting mailboxes with Google or Microsoft: start, callback, reconnect, disconnect.

Every member who may connect a mailbox with a password may connect one with OAuth (the same
rule as `mailbox_create`); a mailbox of another workspace is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Action, allowed_to
from core.tenancy import get_for_workspace_or_404
from smtp_accounts.domains.health import domain_checks_ensure
from smtp_accounts.models import Mailbox
from smtp_accounts.oauth.flow import (
    OAuthFlowError,
    oauth_authorization_finish,
    oauth_authorization_start,
)
from smtp_accounts.oauth.providers import UnknownProvider, provider_config
from smtp_accounts.oauth.tokens import oauth_disconnect
from smtp_accounts.services import mailbox_pause, mailbox_test_connection


def redirect_uri() -> str:
    """The one callback URL to register at both providers (docs/OAUTH.md)."""
    return settings.PUBLIC_BASE_URL + reverse("mailbox_oauth_callback")


def _configured(key: str):
    try:
        provider = provider_config(key)
    except UnknownProvider as exc:
        raise Http404 from exc
    if not provider.configured:
        raise Http404
    return provider


@login_required
@require_POST
@allowed_to(Action.MAILBOX_CONNECT)
def mailbox_oauth_connect(request, provider: str):
    """Send the user to the provider's consent page."""
    url = oauth_authorization_start(
        session=request.session,
        workspace=request.workspace,
        provider=_configured(provider),
        redirect_uri=redirect_uri(),
    )
    return redirect(url)


@login_required
@require_POST
@allowed_to(Action.MAILBOX_EDIT)
def mailbox_oauth_reconnect(request, pk: int):
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    if not mailbox.oauth_provider:
        raise Http404
    url = oauth_authorization_start(
        session=request.session,
        workspace=request.workspace,
        provider=_configured(mailbox.oauth_provider),
        redirect_uri=redirect_uri(),
        mailbox=mailbox,
    )
    return redirect(url)


@login_required
@require_GET
@allowed_to(Action.MAILBOX_CONNECT, methods=None)
def mailbox_oauth_callback(request):
    """Where the provider sends the user back (with a code, or an error)."""
    try:
        mailbox, created = oauth_authorization_finish(
            session=request.session,
            workspace=request.workspace,
            redirect_uri=redirect_uri(),
            params=request.GET,
            may_take_over=bool(request.membership and request.membership.can_manage_members),
        )
    except OAuthFlowError as exc:
        return render(request, "smtp_accounts/oauth_failed.html", {"message": str(exc)}, status=400)
    if created:
        domain_checks_ensure(request.workspace)
    results = mailbox_test_connection(mailbox=mailbox)
    if all(r.ok for r in results):
        messages.success(request, _("%(email)s is connected.") % {"email": mailbox.email})
    else:
        messages.warning(request, _("Connected, but the connection test failed: see below."))
    return redirect("mailbox_detail", pk=mailbox.pk)


@login_required
@require_POST
@allowed_to(Action.MAILBOX_EDIT)
def mailbox_oauth_disconnect(request, pk: int):
    """Revoke the grant at the provider (when it can) and delete the tokens now."""
    mailbox = get_for_workspace_or_404(Mailbox, request.workspace, pk=pk)
    if not mailbox.oauth_provider:
        raise Http404
    provider = provider_config(mailbox.oauth_provider)
    revoked = oauth_disconnect(mailbox=mailbox)
    mailbox_pause(
        mailbox=mailbox,
        reason=_("Disconnected from %(provider)s by %(who)s")
        % {"provider": provider.label, "who": request.user.email},
    )
    if revoked:
        messages.success(
            request,
            _(
                "%(email)s is disconnected: %(provider)s revoked the access and its tokens are "
                "deleted."
            )
            % {"email": mailbox.email, "provider": provider.label},
        )
    elif provider.can_revoke:
        messages.warning(
            request,
            _(
                "%(email)s is disconnected and its tokens are deleted, but %(provider)s could not "
                "be reached to revoke the access: remove Postigo in your %(provider)s account's "
                "security settings."
            )
            % {"email": mailbox.email, "provider": provider.label},
        )
    else:
        messages.success(
            request,
            _(
                "%(email)s is disconnected and its tokens are deleted. Microsoft offers no way for "
                "an app to revoke its own access: to remove it, go to myapps.microsoft.com (or ask "
                "your Microsoft 365 admin)."
            )
            % {"email": mailbox.email},
        )
    return redirect("mailbox_detail", pk=mailbox.pk)
