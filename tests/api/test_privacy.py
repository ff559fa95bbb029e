"""Webhook events under the privacy rights: forgetting a recipient forgets what the outbox
holds about them too (payloads name the lead and quote the reply)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEvent
from api.payloads import message_data
from api.services import webhook_endpoint_create
from api.webhooks import webhooks_emit
from campaigns.models import OutboundMessage
from privacy.rights import recipient_erase
from tests.conftest import dump_every_table
from tests.privacy.factories import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def lena_events(workspace_a):
    """An email.sent event to lena@example.com waiting for its endpoint, and one to max."""
    webhook_endpoint_create(workspace=workspace_a, url="https://crm.example/hooks", events=[])
    for address in ("lena@example.com", "max@example.com"):
        campaign = make_campaign(workspace_a, at=timezone.now(), recipient=address)
        message = OutboundMessage.objects.select_related("enrollment__lead").get(
            pk=campaign.message.pk
        )
        webhooks_emit(workspace=workspace_a, event="email.sent", data=message_data(message))
    assert WebhookDelivery.objects.count() == 2


def test_forgetting_a_recipient_forgets_their_webhook_events(alice, workspace_a, lena_events):
    recipient_erase(workspace=workspace_a, address="Lena@Example.com", by=alice)

    dump = dump_every_table().lower()
    assert "lena@example.com" not in dump
    assert [e.data["recipient"] for e in WebhookEvent.objects.all()] == ["max@example.com"]
    assert WebhookDelivery.objects.count() == 1  # nothing about her is delivered later


def test_forgetting_a_recipient_leaves_another_workspaces_events(
    alice, workspace_a, workspace_b, lena_events
):
    recipient_erase(workspace=workspace_b, address="lena@example.com", by=alice)
    assert WebhookEvent.objects.count() == 2


def test_a_closed_workspaces_pending_events_are_not_posted_until_it_is_restored(
    alice, workspace_a, endpoint, receiver
):
    from api.webhooks import deliver_due
    from privacy.services import workspace_close, workspace_restore

    webhooks_emit(workspace=workspace_a, event="email.sent", data={"lead": "lena@example.com"})
    workspace_close(workspace=workspace_a, by=alice)

    assert deliver_due() == 0
    assert receiver.received == []

    workspace_restore(workspace=workspace_a, by=alice)
    assert deliver_due() == 1
    assert len(receiver.received) == 1


def test_the_hash_left_by_forgetting_a_recipient_cannot_be_removed(api, alice, workspace_a):
    from campaigns.leads.suppression import is_suppressed
    from campaigns.models import Suppression

    recipient_erase(workspace=workspace_a, address="lena@example.com", by=alice)
    entry = Suppression.objects.get(workspace=workspace_a)

    response = api.delete(f"suppressions/{entry.pk}")

    assert response.status_code == 409
    assert "erased" in response.json()["message"]
    assert is_suppressed(workspace_a, "lena@example.com")
