"""schemathesis against the live OpenAPI schema: whatever it generates, no 5xx, and every
answer matches the schema (status codes, content types, bodies)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_key

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Loaded from the running application, as a client would read it (no database needed).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    # Called through WSGI, each request ends with Django closing "old" connections, which on
    # PostgreSQL closes the test's own transaction under it; Django's test client does the same
    # as this (it disconnects the handler for its requests).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(alice, workspace_a, world, settings) -> dict:
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000
    return {"Authorization": f"Bearer {make_key(workspace_a, alice)[1]}"}


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_generated_requests_get_no_5xx_and_answers_match_the_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
