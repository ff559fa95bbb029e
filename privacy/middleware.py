"""Ask a signed-in user to accept a policy version that took effect since they last accepted."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from privacy.policies import pending_acceptance


class PolicyAcceptanceMiddleware:
    # Reachable without accepting: the texts themselves, signing out and in, the admin, and
    # Settings → Privacy (export your data or close your account instead of accepting).
    EXEMPT_PREFIXES = (
        "/legal/",
        "/static/",
        "/accounts/",
        "/admin/",
        "/healthz",
        "/favicon.ico",
        "/settings/privacy/",
        "/restore/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.EXEMPT_PREFIXES)
            and pending_acceptance(user)
        ):
            url = reverse("privacy_accept") + "?" + urlencode({"next": request.get_full_path()})
            if getattr(request, "htmx", False):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return self.get_response(request)
