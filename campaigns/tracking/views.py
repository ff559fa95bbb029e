"""The pixel and the click redirect as Django views: public, fast, never an open redirect.

In production the WSGI entry point answers these two URLs itself (`tracking_wsgi.py`) with the
same functions; these views serve them everywhere else (runserver, tests) and name the URLs.
"""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns.tracking.links import click_hit, open_hit

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_GET
def track_open(request, signed: str):
    open_hit(signed, request.headers.get("User-Agent", ""))
    # A pixel is always served: a broken image would only tell the reader something is off.
    return HttpResponse(GIF, content_type="image/gif")


@never_cache
@require_GET
def track_click(request, signed: str, position: int):
    url = click_hit(signed, position, request.headers.get("User-Agent", ""))
    if url is None:
        raise Http404("Unknown link.")
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of the target's logs
    return response
