"""Webhooks delivered to a local receiver: signed (verified with `standardwebhooks` on the
receiving side), retried with backoff, given up on, disabled after days, redelivered."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from accounts.models import Notification
from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import webhook_endpoint_create, webhook_endpoint_rotate_secret
from api.webhooks import RETRY_SCHEDULE, deliver_due, webhooks_emit

pytestmark = pytest.mark.django_db


def verify(endpoint_secret: str, received) -> dict:
    return Webhook(endpoint_secret).verify(received.body, received.headers)


def test_an_event_arrives_signed_and_verifies(workspace_a, endpoint, receiver):
    webhooks_emit(workspace=workspace_a, event="email.sent", data={"message_id": 7})
    assert deliver_due() == 1
    [got] = receiver.received
    payload = verify(endpoint.secret, got)
    assert payload["type"] == "email.sent"
    assert payload["data"] == {"message_id": 7}
    event = WebhookEvent.objects.get()
    assert got.headers["webhook-id"] == event.message_id
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 10
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.response_status == 200
    assert delivery.response_body == '{"ok": true}'
    assert delivery.response_ms is not None


def test_another_secret_does_not_verify(workspace_a, endpoint, receiver):
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    deliver_due()
    other = webhook_endpoint_create(
        workspace=workspace_a, url=receiver.url(), events=["mailbox.error"]
    )
    with pytest.raises(WebhookVerificationError):
        verify(other.secret, receiver.received[0])


def test_a_tampered_body_does_not_verify(workspace_a, endpoint, receiver):
    webhooks_emit(workspace=workspace_a, event="email.sent", data={"n": 1})
    deliver_due()
    got = receiver.received[0]
    got.body = got.body.replace(b'"n":1', b'"n":2')
    with pytest.raises(WebhookVerificationError):
        verify(endpoint.secret, got)


def test_after_rotation_both_secrets_verify_until_the_overlap_ends(workspace_a, endpoint, receiver):
    old = endpoint.secret
    webhook_endpoint_rotate_secret(endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    deliver_due()
    verify(old, receiver.received[0])
    verify(endpoint.secret, receiver.received[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=25)):
        webhooks_emit(workspace=workspace_a, event="email.sent", data={})
        deliver_due()
        late = receiver.received[1]
        verify(endpoint.secret, late)
        with pytest.raises(WebhookVerificationError):
            verify(old, late)


def test_an_endpoint_gets_only_the_events_it_chose(workspace_a, receiver):
    webhook_endpoint_create(workspace=workspace_a, url=receiver.url(), events=["reply.received"])
    assert webhooks_emit(workspace=workspace_a, event="email.sent", data={}) is None
    webhooks_emit(workspace=workspace_a, event="reply.received", data={"label": "interested"})
    deliver_due()
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["reply.received"]


def test_nothing_is_written_when_no_endpoint_wants_the_event(workspace_a):
    assert webhooks_emit(workspace=workspace_a, event="email.sent", data={}) is None
    assert not WebhookEvent.objects.exists()


def test_the_outbox_row_is_part_of_the_callers_transaction(workspace_a, endpoint):
    with pytest.raises(RuntimeError), transaction.atomic():
        webhooks_emit(workspace=workspace_a, event="email.sent", data={})
        raise RuntimeError("the send that caused it rolled back")
    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


def test_a_500_is_retried_on_the_backoff_schedule(workspace_a, endpoint, receiver):
    receiver.behaviour.status, receiver.behaviour.body = 500, b"database down"
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    start = timezone.now()
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert delivery.response_body == "database down"
    assert delivery.next_attempt_at - start >= RETRY_SCHEDULE[0]
    assert deliver_due() == 0  # not due yet
    receiver.behaviour.status, receiver.behaviour.body = 200, b"ok"
    with time_machine.travel(delivery.next_attempt_at + datetime.timedelta(seconds=1)):
        assert deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.event.message_id] * 2


def test_the_waits_grow_and_it_gives_up_after_about_a_day(workspace_a, endpoint, receiver):
    receiver.behaviour.status = 503
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    moment = timezone.now()
    waits = []
    for _ in range(len(RETRY_SCHEDULE) + 1):
        with time_machine.travel(moment):
            assert deliver_due() == 1
        delivery = WebhookDelivery.objects.get()
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - moment).total_seconds()))
            moment = delivery.next_attempt_at + datetime.timedelta(seconds=1)
    assert waits == sorted(waits)
    assert 20 * 3600 < sum(waits) < 36 * 3600
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", len(RETRY_SCHEDULE) + 1)
    assert delivery.next_attempt_at is None


def test_a_slow_receiver_times_out_and_is_retried(settings, workspace_a, endpoint, receiver):
    settings.WEBHOOK_TIMEOUT = 0.5
    receiver.behaviour.delay = 1.5
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.response_status is None
    assert "No answer within" in delivery.error


def test_an_endpoint_failing_for_days_is_disabled_and_the_workspace_told(
    settings, workspace_a, alice, endpoint, receiver, mailoutbox
):
    receiver.behaviour.status = 500
    start = timezone.now()
    with time_machine.travel(start):
        webhooks_emit(workspace=workspace_a, event="email.sent", data={})
        deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None and endpoint.enabled
    later = start + datetime.timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS, minutes=1)
    with time_machine.travel(later), django_capture(transaction):
        webhooks_emit(workspace=workspace_a, event="email.sent", data={})
        deliver_due()
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "failed for 5 days" in endpoint.disabled_reason
    note = Notification.objects.get(user=alice)
    assert "disabled" in note.title
    # Disabled: new events are not queued for it, pending ones wait.
    assert webhooks_emit(workspace=workspace_a, event="email.sent", data={}) is None


def test_one_success_clears_the_failing_streak(workspace_a, endpoint, receiver):
    receiver.behaviour.status = 500
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    deliver_due()
    receiver.behaviour.status = 204
    webhooks_emit(workspace=workspace_a, event="email.sent", data={})
    deliver_due()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_redelivery_posts_the_same_event_again(workspace_a, endpoint, receiver, api):
    webhooks_emit(workspace=workspace_a, event="reply.received", data={"label": "interested"})
    deliver_due()
    first = WebhookDelivery.objects.get()
    response = api.post(f"webhooks/deliveries/{first.pk}/redeliver")
    assert response.status_code == 202
    deliver_due()
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    log = api.get(f"webhooks/endpoints/{endpoint.pk}/deliveries").json()["data"]
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [
        ("reply.received", "succeeded", 1),
        ("reply.received", "succeeded", 1),
    ]


def test_a_test_event_goes_to_that_endpoint(workspace_a, endpoint, receiver, api):
    response = api.post(f"webhooks/endpoints/{endpoint.pk}/test")
    assert response.status_code == 202
    deliver_due()
    assert verify(endpoint.secret, receiver.received[0])["type"] == "webhook.test"


def test_endpoints_are_managed_through_the_api(api, receiver):
    created = api.post(
        "webhooks/endpoints", {"url": receiver.url(), "events": ["email.sent", "lead.interested"]}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert "secret" not in api.get(f"webhooks/endpoints/{body['id']}").json()
    rotated = api.post(f"webhooks/endpoints/{body['id']}/rotate-secret").json()
    assert rotated["secret"] != body["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    patched = api.patch(f"webhooks/endpoints/{body['id']}", {"enabled": False}).json()
    assert patched["enabled"] is False
    assert api.delete(f"webhooks/endpoints/{body['id']}").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_name_is_refused_naming_the_field(api, receiver):
    response = api.post("webhooks/endpoints", {"url": receiver.url(), "events": ["email.sennt"]})
    assert response.status_code == 422
    assert response.json()["field"] == "events"
    assert "email.sennt" in response.json()["message"]


def test_a_read_key_cannot_see_a_secret(read_api, endpoint):
    response = read_api.get(f"webhooks/endpoints/{endpoint.pk}/secret")
    assert response.status_code == 403


class django_capture:  # noqa: N801
    """Run on-commit callbacks (the managers' email) inside a test transaction."""

    def __init__(self, transaction_module):
        from django.test import TestCase

        self._cm = TestCase.captureOnCommitCallbacks(execute=True)

    def __enter__(self):
        return self._cm.__enter__()

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def test_events_older_than_30_days_are_forgotten_with_their_log(workspace_a, endpoint, receiver):
    from privacy.purge import purge_rule

    with time_machine.travel(timezone.now() - datetime.timedelta(days=32)):
        webhooks_emit(workspace=workspace_a, event="email.sent", data={"lead": "old@x.example"})
        deliver_due()
    webhooks_emit(workspace=workspace_a, event="email.sent", data={"lead": "new@x.example"})
    purge_rule(key="webhook_events")
    assert [e.data["lead"] for e in WebhookEvent.objects.all()] == ["new@x.example"]
    assert WebhookDelivery.objects.count() == 1


def test_an_endpoint_secret_is_encrypted_at_rest(endpoint):
    from tests.conftest import dump_every_table

    dump = dump_every_table()
    assert endpoint.secret not in dump
    assert endpoint.secret.removeprefix("whsec_") not in dump


def test_a_balance_falling_low_and_running_out_is_announced_once_each(
    workspace_a, receiver, django_capture_on_commit_callbacks
):
    from api.services import webhook_endpoint_create
    from billing import services as billing

    endpoint = webhook_endpoint_create(
        workspace=workspace_a, url=receiver.url(), events=["balance.low"]
    )
    account = billing.account_for(workspace_a)
    billing.account_settings_update(
        account=account,
        low_balance_threshold=account.balance - 10,
        resume_after_topup=True,
        billing_name="",
        billing_address="",
        vat_id="",
    )
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):  # crosses the threshold once
            billing.balance_charge(workspace=workspace_a, amount=5, reason="use")
        left = billing.balance_of(workspace_a)
        billing.balance_charge(workspace=workspace_a, amount=left, reason="use")
    deliver_due()
    payloads = [verify(endpoint.secret, got) for got in receiver.received]
    assert [(p["type"], p["data"]["exhausted"]) for p in payloads] == [
        ("balance.low", False),
        ("balance.low", True),
    ]
    assert payloads[1]["data"]["balance"] == 0
