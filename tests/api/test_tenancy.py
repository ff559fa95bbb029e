"""Another workspace's ids are 404 on every endpoint (and nothing changes), while the owning
workspace reaches them."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign, Lead, Suppression
from smtp_accounts.models import Mailbox

# (method, path template, body) for every endpoint that takes an id
BY_ID = [
    ("get", "leads/{lead}", None),
    ("patch", "leads/{lead}", {"first_name": "Eve"}),
    ("delete", "leads/{lead}", None),
    ("get", "leads", {"list_id": "{list}"}),
    ("post", "leads/bulk", {"leads": [{"email": "new@x.example"}], "list_id": "{list}"}),
    ("post", "leads", {"email": "new@x.example", "list_ids": ["{list}"]}),
    ("get", "lists/{list}", None),
    ("delete", "suppressions/{suppression}", None),
    ("get", "campaigns/{campaign}", None),
    ("patch", "campaigns/{campaign}", {"name": "Mine now"}),
    ("get", "campaigns/{campaign}/problems", None),
    ("post", "campaigns/{campaign}/launch", None),
    ("post", "campaigns/{campaign}/pause", None),
    ("post", "campaigns/{campaign}/resume", None),
    ("post", "campaigns/{campaign}/stop", None),
    ("post", "campaigns/{campaign}/leads", {"lead_ids": ["{lead}"]}),
    ("post", "campaigns", {"name": "Mine", "list_ids": ["{list}"]}),
    ("post", "campaigns", {"name": "Mine", "mailbox_ids": ["{mailbox}"]}),
    ("get", "replies", {"campaign_id": "{campaign}"}),
    ("get", "replies/{reply}", None),
    ("post", "replies/{reply}/label", {"label": "not_interested"}),
    ("post", "replies/{reply}/answer", {"body": "Hello"}),
    ("get", "mailboxes/{mailbox}", None),
    ("post", "mailboxes/{mailbox}/pause", None),
    ("post", "mailboxes/{mailbox}/resume", None),
    ("get", "webhooks/endpoints/{endpoint}", None),
    ("get", "webhooks/endpoints/{endpoint}/secret", None),
    ("patch", "webhooks/endpoints/{endpoint}", {"enabled": False}),
    ("delete", "webhooks/endpoints/{endpoint}", None),
    ("post", "webhooks/endpoints/{endpoint}/rotate-secret", None),
    ("post", "webhooks/endpoints/{endpoint}/test", None),
    ("get", "webhooks/endpoints/{endpoint}/deliveries", None),
    ("post", "webhooks/deliveries/{delivery}/redeliver", None),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        key = value[1:-1]
        return ids.get(key, value)
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _call(client, method, path, body, ids):
    path, body = _fill(path, ids), _fill(body, ids)
    if method == "get":
        return client.get(path, body)
    if method == "delete":
        return client.delete(path)
    return getattr(client, method)(path, body)


def _snapshot():
    return (
        list(Lead.objects.values_list("pk", "first_name", "email")),
        list(Campaign.objects.values_list("pk", "name", "status")),
        list(Mailbox.objects.values_list("pk", "status")),
        list(Suppression.objects.values_list("pk")),
    )


@pytest.mark.parametrize(("method", "path", "body"), BY_ID, ids=lambda v: str(v)[:40])
def test_another_workspaces_id_is_404_and_changes_nothing(charlie_api, world, method, path, body):
    before = _snapshot()
    response = _call(charlie_api, method, path, body, world)
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert _snapshot() == before


def test_every_id_endpoint_of_the_schema_is_covered(api):
    schema = api.get("/api/v1/openapi.json").json()
    with_ids = {
        (method, path.removeprefix("/api/v1/"))
        for path, operations in schema["paths"].items()
        for method in operations
        if "{" in path
    }
    covered = {(m, p.replace("{", "{").split("?")[0]) for m, p, _b in BY_ID}
    normalized = {
        (
            m,
            p.replace("{lead}", "{lead_id}")
            .replace("{list}", "{list_id}")
            .replace("{suppression}", "{suppression_id}")
            .replace("{campaign}", "{campaign_id}")
            .replace("{reply}", "{reply_id}")
            .replace("{mailbox}", "{mailbox_id}")
            .replace("{endpoint}", "{endpoint_id}")
            .replace("{delivery}", "{delivery_id}"),
        )
        for m, p in covered
    }
    assert with_ids <= normalized


@pytest.mark.parametrize(
    "path",
    [
        "leads/{lead}",
        "lists/{list}",
        "campaigns/{campaign}",
        "replies/{reply}",
        "mailboxes/{mailbox}",
        "webhooks/endpoints/{endpoint}",
    ],
)
def test_the_owning_workspace_reaches_them(api, world, path):
    assert api.get(path.format(**world)).status_code == 200


def test_lists_show_only_the_keys_workspace(charlie_api, world):
    for path in (
        "leads",
        "lists",
        "suppressions",
        "campaigns",
        "replies",
        "mailboxes",
        "webhooks/endpoints",
    ):
        assert charlie_api.get(path).json()["data"] == [], path
