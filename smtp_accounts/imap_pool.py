"""Signed-in IMAP connections kept between inbox reads, one per mailbox, per worker process.

Opening a connection (TCP, TLS, LOGIN or XOAUTH2) costs several times what reading a quiet
mailbox does (docs/BENCHMARKS.md, "inbox at scale"), so a read hands its connection back here
and the mailbox's next read, in the same process, takes it again. A kept connection is used
again only when all of these hold, else it is closed and a new one opened:
- it was signed in with the same secret to the same server (host, port, security, username):
  a changed password, a refreshed OAuth token or an edited server never reuse the old session,
  and the secret is checked against its binding (`handshake.credentials`) on every read, so a
  password that no longer belongs to the mailbox's server stops the read as before;
- it has been idle less than `IMAP_POOL_IDLE_SECONDS` (servers drop idle sessions: RFC 9051
  allows 30 minutes, some providers less);
- it answers a NOOP (the server may have restarted or dropped it meanwhile).
A read that fails closes its connection instead of handing it back. At most `IMAP_POOL_SIZE`
connections are kept (the least recently used is closed first; 0 turns keeping off), and each
hand-back closes those idle too long, so a mailbox no longer read does not keep its session.
A connection is out of the pool while a read uses it, so two threads never share one.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import imapclient
from django.conf import settings
from imapclient.exceptions import IMAPClientError

from smtp_accounts.handshake import credentials, imap_open
from smtp_accounts.models import Mailbox


@dataclass
class ImapSession:
    """A signed-in connection, what it was signed in with (as a digest), and its folders."""

    client: imapclient.IMAPClient
    signed_in_as: str = field(repr=False)
    used_at: float = 0.0
    reused: bool = False
    folders: list[str] | None = None  # found once per connection (LIST is a round trip)


def _signed_in_as(mailbox: Mailbox, username: str, secret: str) -> str:
    text = "\x00".join(
        (mailbox.imap_host.lower(), str(mailbox.imap_port), mailbox.imap_security, username, secret)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def session_close(session: ImapSession) -> None:
    """Log out, or drop the socket when the server no longer answers."""
    try:
        session.client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            session.client.shutdown()


def _answers(client: imapclient.IMAPClient) -> bool:
    try:
        client.noop()
    except (IMAPClientError, OSError):
        return False
    return True


class ImapPool:
    def __init__(self) -> None:
        self._idle: OrderedDict[int, ImapSession] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._idle)

    def take(self, mailbox: Mailbox) -> ImapSession:
        """The mailbox's kept connection if it may be used again, else a new one. Raises what
        `handshake.imap_open` raises (a kept connection is closed first)."""
        with self._lock:
            kept = self._idle.pop(mailbox.pk, None)
        try:
            login = credentials(mailbox, "imap")  # the binding check, on every read
        except BaseException:
            if kept is not None:
                session_close(kept)
            raise
        signed_in_as = _signed_in_as(mailbox, login.username, login.secret)
        if kept is not None:
            fresh = not self._expired(kept)
            if kept.signed_in_as == signed_in_as and fresh and _answers(kept.client):
                kept.reused = True
                return kept
            session_close(kept)
        client = imap_open(mailbox, timeout=settings.MAILBOX_CONNECT_TIMEOUT, login=login)
        return ImapSession(client, signed_in_as)

    def give_back(self, mailbox_id: int, session: ImapSession) -> None:
        """Keep the connection for the mailbox's next read (closing the least recently used
        beyond the pool's size)."""
        session.used_at = time.monotonic()
        evicted = []
        with self._lock:
            if mailbox_id in self._idle:  # another read of it finished first: keep one
                evicted.append(self._idle.pop(mailbox_id))
            # Oldest first: a mailbox no longer read (paused, deleted) does not hold its session.
            while self._idle and self._expired(next(iter(self._idle.values()))):
                evicted.append(self._idle.popitem(last=False)[1])
            self._idle[mailbox_id] = session
            while len(self._idle) > max(settings.IMAP_POOL_SIZE, 0):
                evicted.append(self._idle.popitem(last=False)[1])
        for old in evicted:
            session_close(old)

    @staticmethod
    def _expired(session: ImapSession) -> bool:
        return time.monotonic() - session.used_at >= settings.IMAP_POOL_IDLE_SECONDS

    def close_all(self) -> None:
        with self._lock:
            sessions, self._idle = list(self._idle.values()), OrderedDict()
        for session in sessions:
            session_close(session)


# One pool per process (a Celery prefork child, or a threads worker's threads together).
POOL = ImapPool()
atexit.register(POOL.close_all)
