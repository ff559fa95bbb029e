"""The tracking buffer: a Redis stream when there is one, a table when there is not or it is
down; the flush turns hits into events and first opens/clicks into counters, exactly once."""

import datetime
import os

import pytest
import redis
import time_machine

from campaigns.models import Event, OutboundMessage, TrackingHit
from campaigns.reports.numbers import campaign_report
from campaigns.sending.launch import campaign_launch
from campaigns.tracking import buffer as tracking_buffer
from campaigns.tracking.flush import record_hits, tracking_flush
from tests.campaigns.pipeline import CHROME, START, build, run_until, track
from tests.servers.dns import unused_udp_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return list(OutboundMessage.objects.order_by("pk"))


@pytest.fixture
def redis_buffer(settings):
    url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI provides Redis: {exc}")
        pytest.skip(f"needs Redis at {url}")
    settings.TRACKING_REDIS_URL = url
    client = tracking_buffer._client(url)
    yield client
    client.delete(settings.TRACKING_STREAM)


def test_hits_wait_in_the_stream_until_flushed(sent, redis_buffer, settings):
    first, second, _third = sent
    track(first, flush=False)
    track(first, flush=False)
    track(second, "c", flush=False)
    assert redis_buffer.xlen(settings.TRACKING_STREAM) == 3
    assert not TrackingHit.objects.exists() and not Event.objects.exists()
    assert tracking_flush() == 3
    assert redis_buffer.xlen(settings.TRACKING_STREAM) == 0
    assert Event.objects.filter(hit_id__startswith="r").count() == 3
    totals = campaign_report(first.enrollment.campaign)["totals"]
    assert (totals["opened"], totals["clicked"]) == (1, 1)


def test_a_flush_that_died_before_acking_records_nothing_twice(sent, redis_buffer):
    first = sent[0]
    track(first, flush=False)
    track(first, "c", flush=False)
    batch = tracking_buffer.take(100)
    record_hits(batch.hits)  # ... and the worker died here, before ack
    assert tracking_flush() == 2  # the next flush reads the same hits again
    assert Event.objects.count() == 2
    totals = campaign_report(first.enrollment.campaign)["totals"]
    assert (totals["opened"], totals["clicked"]) == (1, 1)


def test_when_redis_is_down_hits_go_to_the_database(sent, settings):
    settings.TRACKING_REDIS_URL = f"redis://127.0.0.1:{unused_udp_port()}/0"  # nobody listens
    track(sent[0], flush=False)
    assert TrackingHit.objects.count() == 1
    assert tracking_flush() == 1
    assert not TrackingHit.objects.exists()
    assert list(Event.objects.values_list("kind", "hit_id")) == [
        ("open", f"d{Event.objects.get().hit_id[1:]}")
    ]


def test_broken_and_orphaned_hits_are_dropped_without_stopping_the_flush(
    sent, redis_buffer, settings
):
    first = sent[0]
    redis_buffer.xadd(settings.TRACKING_STREAM, {"k": "o", "t": first.token, "a": "not a time"})
    redis_buffer.xadd(settings.TRACKING_STREAM, {"garbage": "\xff"})
    redis_buffer.xadd(
        settings.TRACKING_STREAM, {"k": "x", "t": first.token, "l": "", "u": "", "a": "1"}
    )
    track(first, flush=False)
    # A message erased (or past retention) before its hit was flushed:
    tracking_buffer.push(tracking_buffer.OPEN, "no-such-message-token", CHROME)
    assert tracking_flush() == 5
    assert list(Event.objects.values_list("message_id", flat=True)) == [first.pk]
    assert redis_buffer.xlen(settings.TRACKING_STREAM) == 0


def test_a_click_is_one_redis_round_trip_and_the_database_backs_the_cache(
    workspace_a, mailbox, smtp_server, redis_buffer, django_capture_on_commit_callbacks,
    django_assert_num_queries,
):  # fmt: skip
    from campaigns.authoring.services import variant_save
    from campaigns.tokens import sign
    from campaigns.tracking.links import CLICK_SALT, click_hit

    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=1, steps=1, track_clicks=True)
        for variant in campaign.steps.get().variants.all():
            variant_save(
                variant=variant,
                subject="Hi",
                body_html='<p><a href="https://vela.example/case">case</a></p>',
                weight=1,
            )
        campaign_launch(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        run_until(START + datetime.timedelta(hours=1, minutes=1))
    message = OutboundMessage.objects.get()
    link = message.links.get()
    signed = sign(message.token, CLICK_SALT)
    with django_assert_num_queries(0):
        assert click_hit(signed, 1, CHROME) == "https://vela.example/case"
    with django_assert_num_queries(1):
        assert click_hit(signed, 2, CHROME) is None  # no such link: not cached, not stored
    redis_buffer.delete(tracking_buffer._links_key(message.token))  # expired or lost
    with django_assert_num_queries(1):
        assert click_hit(signed, 1, CHROME) == "https://vela.example/case"
    assert tracking_flush() == 2
    assert list(Event.objects.values_list("kind", "link_id")) == [("click", link.pk)] * 2


@pytest.mark.parametrize("buffer", ["redis", "table"])
def test_a_user_agent_with_control_characters_is_recorded_without_them(
    sent, settings, request, buffer
):
    """Anyone can send any header: PostgreSQL refuses a NUL in text, which would fail the
    request (table) or the flush (stream)."""
    if buffer == "redis":
        request.getfixturevalue("redis_buffer")
    else:
        settings.TRACKING_REDIS_URL = ""
    track(sent[0], user_agent="Mozilla/5.0\x00 (X11;\x1b Linux)\x7f Chrome/156.0")
    assert Event.objects.get().user_agent == "Mozilla/5.0 (X11; Linux) Chrome/156.0"
