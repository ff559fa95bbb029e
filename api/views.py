"""Settings → API: the workspace's API keys (owners and admins manage them) and webhooks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import Action, can
from api.forms import ApiKeyForm
from api.models import ApiKey, WebhookEndpoint
from api.services import ApiError, apikey_create, apikey_revoke
from core.tenancy import get_for_workspace_or_404


def can_manage_keys(request) -> bool:
    """Who manages API keys and webhooks: the permission matrix (accounts/permissions.py)."""
    return can(request.membership, Action.API_KEYS_MANAGE)


def _page(request, form: ApiKeyForm, created: tuple[ApiKey, str] | None = None, status=200):
    keys = ApiKey.objects.for_workspace(request.workspace).select_related("created_by")
    endpoints = WebhookEndpoint.objects.for_workspace(request.workspace).annotate(
        failed=Count("deliveries", filter=Q(deliveries__status="failed")),
        pending=Count("deliveries", filter=Q(deliveries__status="pending")),
    )
    context = {
        "form": form,
        "keys": keys,
        "endpoints": endpoints,
        "created": created,
        "can_manage": can_manage_keys(request),
    }
    return render(request, "api/settings_api.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def api_settings(request):
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST":
        if not can_manage_keys(request):
            messages.error(request, _("Only owners and admins can create API keys."))
            return redirect("api_settings")
        if form.is_valid():
            try:
                key, secret = apikey_create(
                    workspace=request.workspace,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=form.expires_at(),
                    user=request.user,
                    request=request,
                )
            except ApiError as exc:
                form.add_error(exc.field or None, str(exc))
            else:
                # Rendered, not redirected: the secret is never stored, so it is shown only now.
                return _page(request, ApiKeyForm(), created=(key, secret), status=201)
    return _page(request, form)


@login_required
@require_POST
def api_key_revoke(request, pk: int):
    key = get_for_workspace_or_404(ApiKey, request.workspace, pk=pk)
    if not can_manage_keys(request):
        messages.error(request, _("Only owners and admins can revoke API keys."))
        return redirect("api_settings")
    apikey_revoke(key=key, user=request.user, request=request)
    messages.success(request, _("The key %(name)s was revoked.") % {"name": key.name})
    return redirect("api_settings")
