"""Path values no row can have are answered 404 before a view sends them to the database.

`<int:pk>` matches any run of digits, and a number past the database's 64-bit integers made
SQLite raise OverflowError (and PostgreSQL "out of range") inside the view — a server error
on e.g. /workspace/switch/99999999999999999999/. One check for every URL pattern here keeps
each view from having to remember it."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_ID = 2**63 - 1  # the largest BIGINT; every primary key fits in it


def bounded_id(value: str, *, default: int | None = None) -> int | None:
    """A query-string id as an int, or `default` when it is not a plain number a row could have
    (letters, "²", a minus sign, more digits than any id)."""
    if not value or len(value) > 19 or not value.isascii() or not value.isdigit():
        return default
    number = int(value)
    return number if number <= MAX_ID else default


class BoundedIdsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "__module__", "").startswith("ninja."):
            return None  # the API (django-ninja) answers bad ids itself, in its JSON shape
        for value in (*view_args, *view_kwargs.values()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
                raise Http404(_("No such page: the number in its address is too large."))
        return None


_REFUSALS = {
    400: gettext_lazy("The request could not be understood."),
    403: gettext_lazy("You may not do this."),
    404: gettext_lazy("No such page."),
    405: gettext_lazy("This address does not accept a %(method)s request."),
    413: gettext_lazy("The request is too large."),
}


class ExplainRefusalsMiddleware:
    """A refusal always says something: decorators such as require_POST answer 405 with an
    empty body, which a browser shows as a blank page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if (
            400 <= status < 500
            and not response.streaming
            and not response.content.strip()
            and request.method != "HEAD"
        ):
            message = _REFUSALS.get(status, _("The request was refused (%(status)s).")) % {
                "method": request.method,
                "status": status,
            }
            response.content = message.encode()
            response["Content-Type"] = "text/plain; charset=utf-8"
        return response
