"""The pixel and the click redirect: public, fast, and never an open redirect."""

from __future__ import annotations

import base64

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaigns.tokens import unsign
from campaigns.tracking import CLICK_SALT, OPEN_SALT, click_target, record_open

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@never_cache
@require_GET
def track_open(request, signed: str):
    token = unsign(signed, OPEN_SALT)
    if token:
        record_open(token, request.headers.get("User-Agent", ""))
    # A pixel is always served: a broken image would only tell the reader something is off.
    return HttpResponse(GIF, content_type="image/gif")


@never_cache
@require_GET
def track_click(request, signed: str, position: int):
    token = unsign(signed, CLICK_SALT)
    url = click_target(token, position, request.headers.get("User-Agent", "")) if token else None
    if (
        url is None
        or not url.startswith(("http://", "https://"))
        or any(ord(c) < 33 for c in url)  # no header injection through a stored link
    ):
        raise Http404("Unknown link.")
    return HttpResponseRedirect(url)
