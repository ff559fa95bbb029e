"""SMTP in a helper process, so the worker's own work and the SMTP conversation run at once.

A campaign batch spends most of its SMTP time waiting: MAIL, RCPT and DATA are three round
trips a message. While the helper waits for the server, the worker claims, renders and stores
the next messages and records the answers already in. On a thread of the worker's own, SMTP had
to win the interpreter lock back from that work after every answer and became the limit
(docs/BENCHMARKS.md, pipeline); a process of its own shares no lock.

Each worker process (and thread) has one helper, started on first use and kept: it holds the
mailboxes' open sessions for their next batches (`sessions.py`), and a new one replaces it if it
has died. The helper does nothing but SMTP (`smtp_helper.py`) — no database; the worker writes
the SendLog rows and the states as it reads the answers, in the order it handed messages over.

At most once is unchanged: a message is handed over only once it is `sending` (committed); an
answer the worker never read (it died) leaves the message `sending`, which recovery makes
`unknown`. A killed worker's helper attempts nothing after the message on the wire. A
mailbox-level failure stops the batch: messages handed over after it are not attempted and get
no answer. A helper that fails or dies makes the batch raise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

from django.conf import settings

from smtp_accounts import smtp_helper
from smtp_accounts.dkim_signing import DkimSigner
from smtp_accounts.models import Mailbox
from smtp_accounts.replies import Outcome
from smtp_accounts.sender import (
    MESSAGES_PER_SESSION,
    OutgoingMessage,
    SendLogWriter,
    SendResult,
)

# What the helper's SMTP code reads from settings, sent with every batch (a test or an operator
# may have changed them since the helper started).
SETTINGS = (
    "MAILBOX_CONNECT_TIMEOUT",
    "MAILBOX_ALLOW_PRIVATE_NETWORKS",
    "MAILBOX_TLS_CA_FILE",
    "MAILBOX_HOST_ALLOWLIST",
    "MAILBOX_ALLOW_PLAINTEXT",  # the one handshake refuses plaintext off loopback
    "OAUTH_MAILBOX_PROVIDERS",  # an OAuth token goes only to its provider's hosts
)


_ROOT = Path(__file__).resolve().parent.parent


class HelperFailed(RuntimeError):
    """The SMTP helper raised or died during a batch."""


class _Helper:
    def __init__(self):
        ours, theirs = socket.socketpair()
        self.owner = os.getpid()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smtp_accounts.smtp_helper",
                str(theirs.fileno()),
                str(self.owner),
            ],
            pass_fds=[theirs.fileno()],
            cwd=_ROOT,  # on the helper's import path (-m)
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None


_local = threading.local()


def helper() -> _Helper:
    """This process's (and thread's) helper, started if there is none alive."""
    current = getattr(_local, "helper", None)
    if current is None or not current.usable():
        _local.helper = current = _Helper()
    return current


def clear_sessions() -> None:
    """Close the sessions the helper keeps for later batches (tests, between cases)."""
    current = getattr(_local, "helper", None)
    if current is not None and current.usable():
        current.conn.send(smtp_helper.CLEAR)


class BackgroundSender:
    """Hand messages over with `send`, read answers with `results()` as they come and with
    `finish()` at the end. Use as a context manager; leaving it early (an exception) lets the
    helper finish the message on the wire and attempt nothing more."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        signer: DkimSigner | None = None,
        recycle_after: int = MESSAGES_PER_SESSION,
    ):
        self._mailbox, self._signer, self._recycle_after = mailbox, signer, recycle_after
        self._log = SendLogWriter(mailbox)
        self._handed: deque[OutgoingMessage] = deque()  # in order, answer not read yet
        self._stopped = False  # a mailbox-level failure: nothing more is attempted
        self._ended = False  # END sent
        self._read_all = False  # END received
        self._helper: _Helper | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def __enter__(self) -> BackgroundSender:
        if self._mailbox.oauth_provider:  # the helper has no database: the token goes along
            from smtp_accounts.oauth.tokens import mailbox_prepare_access

            mailbox_prepare_access(mailbox=self._mailbox)
        self._helper = helper()
        overrides = {name: getattr(settings, name) for name in SETTINGS}
        self._write(("batch", self._mailbox, self._signer, overrides, self._recycle_after))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is not None and not self._ended:
                self._write(smtp_helper.ABORT)  # finish the message on the wire, no more
            if not self._read_all:  # read up to END; unread answers stay unrecorded (unknown)
                deque(self._answers(at_least=None), maxlen=0)
        except HelperFailed:
            if exc_type is None:
                raise
        finally:
            self._log.flush()

    def send(self, message: OutgoingMessage) -> None:
        self._handed.append(message)
        self._write(message)

    def results(self, *, at_least: int = 0) -> Iterator[SendResult]:
        """The answers already in, waiting first for `at_least` of them."""
        for answer in self._answers(at_least=at_least):
            yield self._result(answer)

    def finish(self) -> Iterator[SendResult]:
        """Every answer still to come, waiting for the helper to attempt what it was given."""
        for answer in self._answers(at_least=None):
            yield self._result(answer)

    def _answers(self, *, at_least: int | None) -> Iterator[tuple]:
        """Answers in order: `at_least` waited for, then those already in; None: all, to END."""
        if at_least is None and not self._ended:
            self._write(smtp_helper.END)
        conn, read = self._helper.conn, 0
        while not self._read_all:
            try:
                # After a mailbox-level failure nothing more is attempted: no more answers to
                # wait for before END.
                waiting = at_least is None or (read < at_least and not self._stopped)
                if not waiting and not conn.poll():
                    return
                answer = conn.recv()
            except (EOFError, OSError) as error:
                self._read_all = True
                raise HelperFailed("the SMTP helper process died") from error
            if answer == smtp_helper.END:
                self._read_all = True
                return
            if answer[0] == "crashed":
                raise HelperFailed(f"the SMTP helper failed:\n{answer[1]}")
            read += 1
            yield answer

    def _result(self, answer: tuple) -> SendResult:
        outcome, code, response, elapsed_ms = answer
        result = SendResult(self._handed.popleft(), Outcome(outcome), code, response, elapsed_ms)
        self._stopped = self._stopped or result.outcome is Outcome.MAILBOX
        self._log.add(result)
        return result

    def _write(self, item) -> None:
        try:
            self._helper.conn.send(item)
        except OSError as error:  # BrokenPipeError: the helper died
            self._read_all = True
            raise HelperFailed("the SMTP helper process died") from error
        self._ended = self._ended or item == smtp_helper.END
