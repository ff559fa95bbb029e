"""Requests that no page of ours can answer are refused before any view or database sees them."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


def _holds_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return True
    for data in (request.GET, request.POST) if request.method == "POST" else (request.GET,):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False


class RejectNulMiddleware:
    """A NUL character has no place in a URL, a cookie or a form field, and PostgreSQL refuses
    it in any text it is sent: a query string like `?q=%00` reached a search filter or a
    session lookup and failed as a server error. Such a request gets a 400 that says why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _holds_nul(request):
            if request.path.startswith("/api/"):  # the API's one error shape (api/core.py)
                from django.http import JsonResponse

                message = _("The request holds a NUL character, which no field accepts.")
                return JsonResponse(
                    {"code": "invalid", "message": message, "field": None}, status=400
                )
            return HttpResponseBadRequest(
                _("The request holds a NUL character, which no field accepts."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
