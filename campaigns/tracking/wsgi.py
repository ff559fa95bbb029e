"""The pixel and the click redirect answered at the WSGI entry point, before Django's request
cycle.

They are the busiest URLs by far (every open and every click of every recipient), anonymous,
and use nothing a Django request provides: no session, CSRF token, user, workspace, template or
HTML page. Answering them here with the same functions the views use (`tracking.open_hit`,
`tracking.click_hit`) costs a third of a full request (docs/BENCHMARKS.md, tracking). After
each hit, database connections are recycled as Django's end-of-request handler does
(`close_old_connections`: expired or broken ones are closed, the next use is health-checked),
so a hit that needed the database (no Redis, a click-cache miss) leaves nothing stale behind.
Anything else — another method, another path, an unknown link (for the product's 404 page) —
goes to Django untouched.
"""

from __future__ import annotations

import logging
import re

from django.db import connections
from django.utils.encoding import iri_to_uri

from campaigns.tracking.links import click_hit, open_hit
from campaigns.tracking.views import GIF

logger = logging.getLogger(__name__)

PIXEL = re.compile(r"/t/o/(?P<signed>[^/]+)\.gif")
CLICK = re.compile(r"/t/c/(?P<signed>[^/]+)/(?P<position>[0-9]{1,6})/")
NO_STORE = ("Cache-Control", "max-age=0, no-cache, no-store, must-revalidate, private")
PIXEL_HEADERS = [
    ("Content-Type", "image/gif"),
    ("Content-Length", str(len(GIF))),
    NO_STORE,
    ("X-Content-Type-Options", "nosniff"),
]


def _recycle_connections() -> None:
    """What Django does at the end of a request (`close_old_connections`): close connections
    that are broken or past CONN_MAX_AGE, and health-check the others on next use. A connection
    inside a transaction is left alone — only a test wraps requests in one."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class TrackingFastPath:
    def __init__(self, django_application):
        self.django = django_application

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and path.startswith("/t/"):
            if match := PIXEL.fullmatch(path):
                return self._pixel(environ, start_response, match["signed"])
            if match := CLICK.fullmatch(path):
                url = self._click(environ, match["signed"], int(match["position"]))
                if url is not None:
                    start_response(
                        "302 Found",
                        [
                            ("Location", iri_to_uri(url)),  # as Django does: ASCII only
                            ("Content-Length", "0"),
                            NO_STORE,
                            ("Referrer-Policy", "no-referrer"),
                        ],
                    )
                    return [b""]
        return self.django(environ, start_response)

    def _pixel(self, environ, start_response, signed: str):
        try:
            open_hit(signed, environ.get("HTTP_USER_AGENT", ""))
        except Exception:  # the reader gets their pixel whatever happened to the hit
            logger.exception("Could not record an open")
        finally:
            _recycle_connections()
        start_response("200 OK", PIXEL_HEADERS)
        return [GIF]

    def _click(self, environ, signed: str, position: int) -> str | None:
        try:
            return click_hit(signed, position, environ.get("HTTP_USER_AGENT", ""))
        finally:
            _recycle_connections()
