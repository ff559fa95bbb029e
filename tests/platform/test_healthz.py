import datetime

import pytest
import time_machine
from django.utils import timezone

from campaigns.sending.dispatch import TICK, dispatch_tick_once
from core import heartbeat

pytestmark = pytest.mark.django_db


def test_it_reports_database_broker_and_the_last_tick(client):
    dispatch_tick_once()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert (body["database"], body["broker"], body["dispatcher"]) == ("ok", "ok", "ok")
    assert 0 <= body["last_tick_seconds_ago"] < 60


def test_it_is_503_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"
    assert response.json()["database"] == "ok"


def test_it_is_503_when_beat_has_not_ticked_for_too_long(client, settings):
    dispatch_tick_once()
    later = timezone.now() + datetime.timedelta(seconds=settings.DISPATCH_STALE_AFTER + 5)
    with time_machine.travel(later):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["dispatcher"] == "stale"


def test_a_fresh_install_waits_for_its_first_tick_before_calling_beat_dead(client, settings):
    with time_machine.travel(heartbeat.STARTED + datetime.timedelta(seconds=10)):
        waiting = client.get("/healthz")
    later = heartbeat.STARTED + datetime.timedelta(seconds=settings.DISPATCH_STALE_AFTER + 5)
    with time_machine.travel(later):
        dead = client.get("/healthz")
    assert (waiting.status_code, waiting.json()["dispatcher"]) == (200, "waiting")
    assert (dead.status_code, dead.json()["dispatcher"]) == (503, "stale")


def test_a_tick_published_while_another_runs_is_skipped():
    with heartbeat.single_flight(TICK, timeout=60) as held:
        assert held
        assert dispatch_tick_once() is None  # a second beat's tick, or one that piled up
    assert dispatch_tick_once() == 0  # the lock is released with the tick that held it
