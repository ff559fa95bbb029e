"""schemathesis against the live OpenAPI schema: whatever it generates, no 5xx, and every
answer matches the schema (status codes, content types, bodies)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
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
