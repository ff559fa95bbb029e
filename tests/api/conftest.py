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


@pytest.fixture
def world(workspace_a):
    """One of everything in workspace A: ids that another workspace's key must not reach."""
    from django.utils import timezone

    from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, new_webhook_secret
    from campaigns.authoring.services import campaign_create, variant_save
    from campaigns.models import (
        Enrollment,
        Lead,
        LeadList,
        LeadMembership,
        OutboundMessage,
        Reply,
        Suppression,
    )
    from tests.smtp_accounts.factories import make_mailbox

    now = timezone.now()
    lead_list = LeadList.objects.create(workspace=workspace_a, name="Prospects")
    lead = Lead.objects.create(
        workspace=workspace_a, email="ada@lovelace.example", first_name="Ada"
    )
    LeadMembership.objects.create(lead=lead, lead_list=lead_list)
    mailbox = make_mailbox(workspace_a)
    campaign = campaign_create(workspace=workspace_a, name="Launch week")
    step = campaign.steps.get()
    variant_save(
        variant=step.variants.get(), subject="Hi {{first_name}}", body_html="<p>Hi</p>", weight=1
    )
    campaign.lead_lists.add(lead_list)
    campaign.mailboxes.add(mailbox)
    enrollment = Enrollment.objects.create(campaign=campaign, lead=lead, mailbox=mailbox)
    message = OutboundMessage.objects.create(
        enrollment=enrollment,
        step=step,
        mailbox=mailbox,
        state=OutboundMessage.State.SENT,
        recipient=lead.email,
        subject="Hi Ada",
        body_text="Hi",
        message_id="<m1@acme.example>",
        sent_at=now,
    )
    reply = Reply.objects.create(
        message=message,
        kind=Reply.Kind.REPLY,
        fingerprint="f1",
        received_at=now,
        from_address=lead.email,
        subject="Re: Hi Ada",
        text="Tell me more",
        label=Reply.Label.INTERESTED,
    )
    suppression = Suppression.objects.create(workspace=workspace_a, value="no@x.example")
    endpoint = WebhookEndpoint.objects.create(
        workspace=workspace_a, url="https://hooks.example/in", secret=new_webhook_secret()
    )
    event = WebhookEvent.objects.create(workspace=workspace_a, type="email.sent", data={})
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event=event, status="succeeded")
    return {
        "lead": lead.pk,
        "list": lead_list.pk,
        "mailbox": mailbox.pk,
        "campaign": campaign.pk,
        "reply": reply.pk,
        "suppression": suppression.pk,
        "endpoint": endpoint.pk,
        "delivery": delivery.pk,
    }


@pytest.fixture
def receiver(settings):
    """A webhook receiver on loopback, which development settings allow."""
    from tests.servers.webhooks import WebhookReceiver

    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT = 2
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def production_guard(settings):
    """Production's SSRF rules: no loopback, private, link-local or metadata addresses."""
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = False
    settings.MAILBOX_HOST_ALLOWLIST = []


@pytest.fixture
def endpoint(workspace_a, receiver):
    from api.services import webhook_endpoint_create

    return webhook_endpoint_create(workspace=workspace_a, url=receiver.url(), events=[])
