"""Requests that no page of ours can answer are refused before any view or database sees them."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _


def _refusal(request) -> str | None:
    """Why no view can answer this request, or None: a NUL anywhere a view would read, or a
    body that cannot be parsed (a multipart request without its boundary)."""
    nul = _("The request holds a NUL character, which no field accepts.")
    if "\x00" in request.path:
        return nul
    if any("\x00" in key or "\x00" in value for key, value in request.COOKIES.items()):
        return nul
    try:
        post = request.POST if request.method == "POST" else None
    except MultiPartParserError:
        return _("The request body is not valid multipart form data.")
    for data in (request.GET, post) if post is not None else (request.GET,):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return nul
    return None


class RejectNulMiddleware:
    """A NUL character has no place in a URL, a cookie or a form field, and PostgreSQL refuses
    it in any text it is sent: a query string like `?q=%00` reached a search filter or a
    session lookup and failed as a server error. Such a request gets a 400 that says why, as
    does a form body that cannot be parsed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        message = _refusal(request)
        if message:
            if request.path.startswith("/api/"):  # the API's one error shape (api/core.py)
                from django.http import JsonResponse

                return JsonResponse(
                    {"code": "invalid", "message": message, "field": None}, status=400
                )
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
