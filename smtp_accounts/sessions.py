"""SMTP sessions kept open between batches of the same mailbox, in this process.

The dispatcher hands a mailbox a batch every tick, and opening a session (TCP, EHLO, STARTTLS,
EHLO, AUTH) costs as much as sending a dozen messages on one — a large share of the pipeline's
time (docs/BENCHMARKS.md, pipeline). Like an MTA's connection cache, a session a batch ends
with is kept for `IDLE` seconds; the next batch of that mailbox checks it with NOOP and goes
on, or opens a new one if the server has hung up. A session belongs to one batch at a time (it
is taken out while in use), and a change of server, port, security or credentials never finds
an old session (they are part of the key).
"""

from __future__ import annotations

import hashlib
import smtplib
import threading
import time

from smtp_accounts.models import Mailbox

IDLE = 60.0  # seconds; servers keep idle sessions at least 5 minutes (RFC 5321 4.5.3.2.7)
MAX_IDLE_SESSIONS = 64


def session_key(mailbox: Mailbox) -> tuple:
    access = getattr(mailbox, "oauth_access", None)  # an OAuth mailbox's current token
    password = access if isinstance(access, str) else mailbox.smtp_password
    secret = hashlib.sha256(f"{mailbox.smtp_username}\0{password}".encode())
    return (
        mailbox.pk,
        mailbox.smtp_host,
        mailbox.smtp_port,
        mailbox.smtp_security,
        mailbox.email,
        secret.hexdigest(),
    )


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


class SessionPool:
    def __init__(self, idle: float = IDLE, size: int = MAX_IDLE_SESSIONS):
        self.idle, self.size = idle, size
        self._lock = threading.Lock()
        # key -> (session, messages sent on it, opened at, idle since), times time.monotonic()
        self._sessions: dict[tuple, tuple[smtplib.SMTP, int, float, float]] = {}

    def take(
        self, key: tuple, *, opened_after: float = float("-inf")
    ) -> tuple[smtplib.SMTP, int, float] | None:
        """An open, answering session for `key` opened after `opened_after`, how many messages
        it has sent and when it was opened; or None. One too old is ended without a NOOP."""
        with self._lock:
            stale = self._expired()
            entry = self._sessions.pop(key, None)
        for client in stale:
            _quit(client)
        if entry is None:
            return None
        client, sent, opened_at, _since = entry
        if opened_at <= opened_after:
            _quit(client)
            return None
        try:
            code, _reply = client.noop()
        except (smtplib.SMTPException, OSError):
            code = None
        if code != 250:
            client.close()
            return None
        return client, sent, opened_at

    def give(self, key: tuple, client: smtplib.SMTP, sent: int, opened_at: float) -> None:
        """Keep a healthy session for the mailbox's next batch."""
        with self._lock:
            stale = self._expired()
            previous = self._sessions.pop(key, None)
            if previous is not None:
                stale.append(previous[0])
            while len(self._sessions) >= self.size:
                oldest = min(self._sessions, key=lambda k: self._sessions[k][3])
                stale.append(self._sessions.pop(oldest)[0])
            self._sessions[key] = (client, sent, opened_at, time.monotonic())
        for old in stale:
            _quit(old)

    def clear(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for client, *_times in sessions:
            _quit(client)

    def _expired(self) -> list[smtplib.SMTP]:
        cutoff = time.monotonic() - self.idle
        old = [key for key, (*_entry, since) in self._sessions.items() if since < cutoff]
        return [self._sessions.pop(key)[0] for key in old]


SESSIONS = SessionPool()
