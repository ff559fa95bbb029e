"""Public legal pages."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from privacy import policies, retention
from privacy.policies import PRIVACY_VERSION, TERMS_VERSION


@require_GET
def terms(request):
    return render(request, "privacy/terms.html", {"version": TERMS_VERSION})


@require_GET
def privacy_policy(request):
    return render(
        request,
        "privacy/privacy.html",
        {
            "version": PRIVACY_VERSION,
            "rules": retention.public_rules(),
            "cookies": policies.cookies(),
            "contact": policies.contact_address(),
        },
    )
