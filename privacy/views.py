"""Public legal pages."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from privacy.policies import PRIVACY_VERSION, TERMS_VERSION


@require_GET
def terms(request):
    return render(request, "privacy/terms.html", {"version": TERMS_VERSION})


@require_GET
def privacy_policy(request):
    return render(request, "privacy/privacy.html", {"version": PRIVACY_VERSION})
