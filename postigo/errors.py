"""The production error pages (400, 403, 404, 500): styled like the app, saying what happened
and what to do next, with a way home.

400/403/404 render with the request (the user's theme and language, a link to their dashboard
when signed in). 500 renders with no request and no context processors, as Django requires:
whatever broke (the database, a context processor) must not break the error page too.
"""

from __future__ import annotations

from django.http import (
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _page(request, template: str) -> str:
    signed_in = bool(getattr(request, "user", None) and request.user.is_authenticated)
    return loader.render_to_string(template, {"signed_in": signed_in}, request=request)


@requires_csrf_token
def bad_request(request, exception=None):
    return HttpResponseBadRequest(_page(request, "400.html"))


@requires_csrf_token
def permission_denied(request, exception=None):
    return HttpResponseForbidden(_page(request, "403.html"))


@requires_csrf_token
def page_not_found(request, exception=None):
    return HttpResponseNotFound(_page(request, "404.html"))


@requires_csrf_token
def server_error(request):
    # No request, no context processors: only the template and static files are needed.
    return HttpResponseServerError(loader.get_template("500.html").render())
