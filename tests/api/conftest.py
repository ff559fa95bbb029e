"""API fixtures: keys for alice's workspace (A) and charlie's (B), and a client that sends them."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import apikey_create


class ApiClient:
    """Django's test client with a bearer key and JSON bodies."""

    def __init__(self, secret: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def _call(self, method: str, path: str, body=None, **kwargs):
        if not path.startswith("/"):
            path = "/api/v1/" + path
        call = getattr(self.client, method)
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        return call(path, headers=self.headers, **kwargs)

    def get(self, path, params=None, **kw):
        return self._call("get", path, None, data=params or {}, **kw)

    def post(self, path, body=None, **kw):
        return self._call("post", path, {} if body is None else body, **kw)

    def patch(self, path, body=None, **kw):
        return self._call("patch", path, body or {}, **kw)

    def delete(self, path, **kw):
        return self._call("delete", path, **kw)


def make_key(workspace, user, scope="write", **kw):
    return apikey_create(
        workspace=workspace, name=f"{scope} key", scope=scope, expires_at=None, user=user, **kw
    )


@pytest.fixture
def alice_key(alice, workspace_a):
    return make_key(workspace_a, alice)


@pytest.fixture
def api(alice_key) -> ApiClient:
    """Alice's write key on workspace A."""
    return ApiClient(alice_key[1])


@pytest.fixture
def read_api(alice, workspace_a) -> ApiClient:
    return ApiClient(make_key(workspace_a, alice, scope="read")[1])


@pytest.fixture
def charlie_api(charlie, workspace_b) -> ApiClient:
    """Charlie's write key on workspace B."""
    return ApiClient(make_key(workspace_b, charlie)[1])


@pytest.fixture
def anonymous() -> ApiClient:
    return ApiClient(None)
