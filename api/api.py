"""The REST API, version 1: /api/v1/, its OpenAPI schema at /api/v1/openapi.json and
interactive docs at /api/docs (Swagger UI served from django-ninja's bundled static files)."""

from __future__ import annotations

from ninja import NinjaAPI

from api.core import ApiKeyAuth, install_error_handlers
from api.endpoints import campaigns, leads, mailboxes, replies, suppressions, webhooks

api = NinjaAPI(
    title="Postigo API",
    version="1",
    description=(
        "Leads, campaigns, replies, mailboxes and webhooks of one workspace. Authenticate "
        "with an API key from Settings → API as `Authorization: Bearer pgo_…`. Lists are "
        "newest first and paged with `cursor` / `next_cursor`. Errors are "
        '`{"code", "message", "field"}`. See docs/API.md.'
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api-v1",
    docs_url=None,  # served at /api/docs (postigo/urls.py)
)
install_error_handlers(api)
for module in (leads, suppressions, campaigns, replies, mailboxes, webhooks):
    api.add_router("", module.router)
