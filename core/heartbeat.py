"""Periodic jobs that must not overlap and whose silence must be noticed.

`single_flight(name)` runs a job only if no other run of it holds the lock (two beats started by
mistake, or a slow run still going when the next is published, skip instead of piling up);
`beat(name)` records that a run completed, and `age(name)` says how long ago, for /healthz.
Both live in the cache, which every process of an install shares (Redis in production, a
folder in the embedded install).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Iterator

from django.core.cache import cache
from django.utils import timezone

_LOCK = "heartbeat:lock:{}"
_LAST = "heartbeat:last:{}"
STARTED = timezone.now()  # when this process started: a job never seen is judged from here


@contextlib.contextmanager
def single_flight(name: str, *, timeout: int) -> Iterator[bool]:
    """Yields True to the one holder of the lock (released at the end, or after `timeout`
    seconds should the holder die), False to anyone else."""
    key, token = _LOCK.format(name), uuid.uuid4().hex
    held = cache.add(key, token, timeout)
    try:
        yield held
    finally:
        if held and cache.get(key) == token:
            cache.delete(key)


def beat(name: str, *, at: datetime.datetime | None = None) -> None:
    cache.set(_LAST.format(name), (at or timezone.now()).isoformat(), None)


def age(name: str, *, now: datetime.datetime | None = None) -> tuple[float, bool]:
    """(seconds since the last completed run, whether a run was ever recorded); never seen:
    the seconds since this process started."""
    now = now or timezone.now()
    last = cache.get(_LAST.format(name))
    if last is None:
        return (now - STARTED).total_seconds(), False
    return (now - datetime.datetime.fromisoformat(last)).total_seconds(), True
