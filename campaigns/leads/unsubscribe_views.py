"""Unsubscribing: a page that says who and what and confirms with one click, and the RFC 8058
one-click POST that mail providers send. A GET never unsubscribes by itself."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.leads.unsubscribe import unsubscribe
from campaigns.models import OutboundMessage
from campaigns.tokens import UNSUBSCRIBE_SALT, unsign


def _message(signed: str) -> OutboundMessage:
    token = unsign(signed, UNSUBSCRIBE_SALT)
    message = (
        OutboundMessage.objects.filter(token=token)
        .select_related("enrollment__campaign__workspace", "mailbox")
        .first()
        if token
        else None
    )
    if message is None:
        raise Http404("Unknown or altered unsubscribe link.")
    return message


# The token in the URL is the authority (signed, bound to one message); mail providers send the
# RFC 8058 POST without any cookie or CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request, signed: str):
    message = _message(signed)
    if request.method == "POST":
        unsubscribe(message)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("Unsubscribed.\n", content_type="text/plain")
        return render(request, "campaigns/unsubscribe.html", {"message": message, "done": True})
    return render(request, "campaigns/unsubscribe.html", {"message": message, "done": False})
