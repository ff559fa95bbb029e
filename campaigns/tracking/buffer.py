"""The tracking buffer: the pixel and the click redirect put hits in; the flush task takes them out.

The request path appends one entry to a Redis stream (`XADD`, well under a millisecond) and
returns; nothing waits for the database. Without Redis (the embedded install), or while Redis
is unreachable, the hit is written to the `TrackingHit` table instead — one insert, no lookup —
so a hit is never dropped for want of a buffer. Entries are removed only after the flush has
committed their events (`Batch.ack`); a flush that dies before that leaves them in place, and
recording them again adds nothing (each event carries its hit's id).

Redis keeps the stream in memory: run it with `appendonly yes` so a restart keeps what was not
flushed yet (docs/DEPLOY.md).
"""

from __future__ import annotations

import datetime
import functools
import logging
from dataclasses import dataclass, field

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from campaigns.models import TrackingHit

logger = logging.getLogger(__name__)

OPEN, CLICK = "o", "c"


@dataclass(frozen=True)
class Hit:
    id: str  # unique across both buffers: "r<stream id>" or "d<row id>"
    kind: str  # OPEN or CLICK
    token: str
    link_id: int | None
    user_agent: str
    at: datetime.datetime


@functools.cache
def _client(url: str) -> redis.Redis:
    # No retries and short timeouts: an unreachable Redis costs the request a quarter of a
    # second at most, then the hit goes to the database.
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.25, socket_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )


def _redis() -> redis.Redis | None:
    url = settings.TRACKING_REDIS_URL
    return _client(url) if url else None


def _agent(user_agent: str) -> str:
    """A user agent as kept: 300 characters, no control characters (anyone can send any
    header, and PostgreSQL refuses a NUL in text)."""
    return user_agent[:300].translate(_CONTROLS)


_CONTROLS = dict.fromkeys([*range(32), 127])


def push(kind: str, token: str, user_agent: str, link_id: int | None = None) -> None:
    """Buffer one hit. Called on the request path: never raises for a buffer problem."""
    now = datetime.datetime.now(datetime.UTC)
    user_agent = _agent(user_agent)
    client = _redis()
    if client is not None:
        try:
            client.xadd(
                settings.TRACKING_STREAM,
                {"k": kind, "t": token, "l": link_id or "", "u": user_agent, "a": now.timestamp()},
            )
            return
        except redis.RedisError as exc:
            logger.warning("Tracking buffer unavailable (%s); the hit goes to the database", exc)
    TrackingHit.objects.create(
        kind=kind, token=token, link_id=link_id, user_agent=user_agent, at=now
    )


# --- the click cache ---------------------------------------------------------------------------
# Each sent message's tracked links are copied to a Redis hash (position -> "<link id> <url>")
# when they are stored. A click then costs one round trip: a script reads the target and, if
# there is one, appends the hit to the stream. A miss (expired, evicted, Redis restarted without
# the hash, no Redis at all) falls back to the database; the links table stays the truth.

LINKS_TTL = 60 * 60 * 24 * 30  # most clicks come within days of sending
_CLICK_SCRIPT = """
local target = redis.call('HGET', KEYS[1], ARGV[1])
if target then
  local space = string.find(target, ' ', 1, true)
  redis.call('XADD', KEYS[2], '*', 'k', 'c', 't', ARGV[2], 'l', string.sub(target, 1, space - 1),
             'u', ARGV[3], 'a', ARGV[4])
  return string.sub(target, space + 1)
end
return false
"""


def _links_key(token: str) -> str:
    return f"{settings.TRACKING_STREAM}:links:{token}"


@functools.cache
def _click_script(client: redis.Redis):
    return client.register_script(_CLICK_SCRIPT)


def cache_links(links: list[tuple[str, int, int, str]]) -> None:
    """(token, position, link id, url) of freshly stored links, into the click cache."""
    client = _redis()
    if client is None or not links:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for token, position, link_id, url in links:
                pipe.hset(_links_key(token), str(position), f"{link_id} {url}")
            for token in {link[0] for link in links}:
                pipe.expire(_links_key(token), LINKS_TTL)
            pipe.execute()
    except redis.RedisError as exc:  # clicks on these fall back to the database
        logger.warning("Could not cache tracked links: %s", exc)


def click_from_cache(token: str, position: int, user_agent: str) -> str | None:
    """The cached target of a link, the click buffered with it; None when not cached."""
    client = _redis()
    if client is None:
        return None
    now = datetime.datetime.now(datetime.UTC).timestamp()
    try:
        target = _click_script(client)(
            keys=[_links_key(token), settings.TRACKING_STREAM],
            args=[str(position), token, _agent(user_agent), now],
        )
    except redis.RedisError as exc:
        logger.warning("Click cache unavailable (%s); looking the link up", exc)
        return None
    return target.decode() if target else None


@dataclass
class Batch:
    hits: list[Hit] = field(default_factory=list)
    stream_ids: list[bytes] = field(default_factory=list)
    row_ids: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.stream_ids) + len(self.row_ids)

    def ack(self) -> None:
        """The hits are recorded: remove them from their buffers."""
        if self.stream_ids:
            try:
                _redis().xdel(settings.TRACKING_STREAM, *self.stream_ids)
            except redis.RedisError as exc:  # they will be read again; recording is idempotent
                logger.warning("Could not remove flushed hits from the stream: %s", exc)
        if self.row_ids:
            TrackingHit.objects.filter(pk__in=self.row_ids).delete()


def take(limit: int) -> Batch:
    """Up to `limit` of the oldest buffered hits, without removing them."""
    batch = Batch()
    client = _redis()
    if client is not None:
        try:
            entries = client.xrange(settings.TRACKING_STREAM, "-", "+", count=limit)
        except redis.RedisError as exc:
            logger.warning("Tracking buffer unavailable (%s); flushing the database hits", exc)
            entries = []
        for entry_id, values in entries:
            batch.stream_ids.append(entry_id)
            hit = _from_stream(entry_id, values)
            if hit is not None:
                batch.hits.append(hit)
    for row in TrackingHit.objects.order_by("pk")[: max(0, limit - len(batch))]:
        batch.row_ids.append(row.pk)
        batch.hits.append(
            Hit(f"d{row.pk}", row.kind, row.token, row.link_id, row.user_agent, row.at)
        )
    return batch


def _from_stream(entry_id: bytes, values: dict[bytes, bytes]) -> Hit | None:
    """A stream entry as a hit; a malformed one is logged and dropped (acked with the rest)."""
    try:
        text = {k.decode(): v.decode("utf-8", "replace") for k, v in values.items()}
        if text["k"] not in (OPEN, CLICK):
            raise ValueError(f"unknown kind {text['k']!r}")
        return Hit(
            id="r" + entry_id.decode(),
            kind=text["k"],
            token=text["t"][:32],
            link_id=int(text["l"]) if text["l"] else None,
            user_agent=text["u"][:300],
            at=datetime.datetime.fromtimestamp(float(text["a"]), datetime.UTC),
        )
    except (KeyError, ValueError, OverflowError) as exc:
        logger.error("Dropping a malformed tracking entry %r: %s", entry_id, exc)
        return None
