"""The API's machinery: key authentication, scopes, the rate limit, one error shape, cursors.

Every error answers `{"code": …, "message": …, "field": …}` (field: the input at fault, or
null), plus `problems` for a launch the Review page's checks refuse.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from accounts.services import client_ip
from api.services import apikey_authenticate

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class Problem(Schema):
    message: str
    details: list[str] = []


class Error(Schema):
    code: str
    message: str
    field: str | None = None
    problems: list[Problem] | None = None


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}


class ApiProblem(Exception):
    """Answer with `status` and the error shape."""

    def __init__(self, status: int, code: str, message: str, *, field: str | None = None, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = (
            status,
            code,
            message,
            field,
            extra,
        )


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def rate_limit(key_id: int) -> None:
    """A fixed one-minute window per key, counted in the shared cache."""
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // 60)
    name = f"api:rate:{key_id}:{window}"
    cache.add(name, 0, timeout=90)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr
        cache.set(name, 1, timeout=90)
        count = 1
    if count > limit:
        raise RateLimited(max(1, math.ceil((window + 1) * 60 - now)))


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer pgo_…`: the key's workspace becomes the request's."""

    openapi_description = "An API key from Settings → API, sent as a bearer token."

    def authenticate(self, request: HttpRequest, token: str):
        key = apikey_authenticate(secret=token, ip=client_ip(request))
        if key is None:
            return None
        rate_limit(key.pk)
        if request.method not in SAFE_METHODS and not key.can_write_as_creator:
            message = (
                _("This key's creator is now a viewer of the workspace, so the key can only read.")
                if key.can_write
                else _("This key can only read; create a key with write access.")
            )
            raise ApiProblem(403, "read_only_key", message)
        request.api_key = key
        request.workspace = key.workspace
        return key


def _field_of(loc: list[Any]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "data")]
    # ninja names the body parameter; drop it when it is the schema's argument name
    return ".".join(parts) or None


def install_error_handlers(api) -> None:
    def error(request, status, code, message, field=None, headers=None, **extra):
        body = {"code": code, "message": message, "field": field} | extra
        response = api.create_response(request, body, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    @api.exception_handler(ApiProblem)
    def _problem(request, exc: ApiProblem):
        return error(request, exc.status, exc.code, exc.message, exc.field, **exc.extra)

    @api.exception_handler(NinjaValidationError)
    def _invalid(request, exc: NinjaValidationError):
        first = exc.errors[0] if exc.errors else {}
        field = _field_of(list(first.get("loc", [])))
        message = first.get("msg", _("Invalid input."))
        if field:
            message = f"{field}: {message}"
        return error(request, 422, "invalid", message, field)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return error(
            request,
            401,
            "unauthorized",
            _("Send a valid, unexpired, unrevoked API key as 'Authorization: Bearer <key>'."),
            headers={"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(RateLimited)
    def _limited(request, exc: RateLimited):
        return error(
            request,
            429,
            "rate_limited",
            _("Too many requests for this key; retry after %(s)s seconds.")
            % {"s": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return error(request, 404, "not_found", _("No such object in this workspace."))

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        code = {405: "method_not_allowed"}.get(exc.status_code, "error")
        return error(request, exc.status_code, code, str(exc))


# --- Keyset pagination --------------------------------------------------------------------------

MAX_LIMIT = 200


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"id:{pk}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not text.startswith("id:"):
            raise ValueError
        pk = int(text[3:])
        if pk < 0 or pk > 2**62:
            raise ValueError
        return pk
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ApiProblem(
            400, "invalid", _("cursor: not a cursor this API gave out."), field="cursor"
        ) from exc


def page(queryset, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Newest first by id, `limit` rows after the cursor: one indexed range scan, whatever the
    page (no OFFSET), and one query."""
    if cursor:
        queryset = queryset.filter(pk__lt=decode_cursor(cursor))
    rows = list(queryset.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].pk) if more and rows else None)
