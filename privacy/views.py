"""Public legal pages, and accepting a new version of them."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from privacy import policies, retention
from privacy.models import PolicyVersion
from privacy.notices import policy_accept


def _versions(request, kind: str) -> dict:
    """The version in effect (its text, or the built-in one), and the next one announced; with
    ?version=<label>, that published version's text."""
    current = policies.current_policy(kind)
    upcoming = next((v for v in policies.upcoming_policies() if v.kind == kind), None)
    shown = current
    asked = request.GET.get("version")
    if asked:
        shown = PolicyVersion.objects.filter(kind=kind, version=asked).first() or current
    return {
        "version": shown.version if shown else policies.BUILT_IN[kind],
        "published": shown,
        "upcoming": upcoming,
        "is_upcoming": shown is not None and shown is upcoming,
    }


@require_GET
def terms(request):
    return render(request, "privacy/terms.html", _versions(request, "terms"))


@require_GET
def privacy_policy(request):
    return render(
        request,
        "privacy/privacy.html",
        {
            **_versions(request, "privacy"),
            "rules": retention.public_rules(),
            "cookies": policies.cookies(),
            "contact": policies.contact_address(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def accept(request):
    """Asked at the first visit after a new version took effect (PolicyAcceptanceMiddleware)."""
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("dashboard")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("dashboard")
    pending = policies.pending_acceptance(request.user)
    if not pending:
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        if request.POST.get("accept"):
            policy_accept(user=request.user, request=request)
            return redirect(next_url)
        error = "required"
    return render(
        request, "privacy/accept.html", {"pending": pending, "next": next_url, "error": error}
    )
