"""SMTP on a thread of its own, so the caller's database work overlaps the server's answers.

A campaign batch spends most of its SMTP time waiting: MAIL, RCPT and DATA are three round
trips a message, and the socket wait releases the GIL. While this thread waits, the worker's
own thread renders the next messages and records the answers already in (docs/BENCHMARKS.md,
pipeline). The thread does nothing but SMTP — no database: Django connections belong to one
thread, and a test's transaction must see every write. The caller writes the SendLog rows and
the states as it reads the results, in the order the messages were handed over.

At most once is unchanged: a message is handed over only once it is `sending` (committed); an
answer the caller never read (it died) leaves the message `sending`, which recovery makes
`unknown`. A mailbox-level failure stops the thread: messages handed over after it are not
attempted and get no result, as with `send_messages`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

from smtp_accounts.dkim_signing import DkimSigner
from smtp_accounts.models import Mailbox
from smtp_accounts.replies import Outcome
from smtp_accounts.sender import MailboxSender, OutgoingMessage, SendLogWriter, SendResult
from smtp_accounts.sessions import SESSIONS, SessionPool

_END = object()


class _Crashed:
    def __init__(self, error: BaseException):
        self.error = error


class BackgroundSender:
    """Hand messages over with `send`, read answers with `results()` as they come and with
    `finish()` at the end. Use as a context manager; leaving it early (an exception) lets the
    thread finish the message on the wire and attempt nothing more."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        signer: DkimSigner | None = None,
        pool: SessionPool | None = SESSIONS,
        recycle_after: int = 100,
    ):
        self._sender = MailboxSender(mailbox, recycle_after=recycle_after, signer=signer, pool=pool)
        self._log = SendLogWriter(mailbox)
        self._todo: queue.SimpleQueue = queue.SimpleQueue()
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._abort = threading.Event()
        self._stopped = threading.Event()  # a mailbox-level failure: nothing more is attempted
        self._crashed = False
        self._read_all = False
        self._thread = threading.Thread(
            target=self._run, name=f"smtp-mailbox-{mailbox.pk}", daemon=True
        )

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def __enter__(self) -> BackgroundSender:
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._abort.set()
        self._todo.put(_END)
        self._thread.join()
        self._log.flush()
        failed = exc_type is not None or self._crashed
        self._sender.close(keep=not failed)  # after an error, nothing is left for the next batch

    def send(self, message: OutgoingMessage) -> None:
        self._todo.put(message)

    def results(self) -> Iterator[SendResult]:
        """The answers already in, without waiting."""
        return self._read(wait=False)

    def finish(self) -> Iterator[SendResult]:
        """Every answer still to come, waiting for the thread to attempt what it was given."""
        self._todo.put(_END)
        return self._read(wait=True)

    def _read(self, *, wait: bool) -> Iterator[SendResult]:
        while not self._read_all:
            try:
                item = self._answers.get(block=wait)
            except queue.Empty:
                return
            if item is _END:
                self._read_all = True
                return
            if isinstance(item, _Crashed):
                raise item.error
            self._log.add(item)
            yield item

    def _run(self) -> None:
        try:
            while (message := self._todo.get()) is not _END:
                if self._abort.is_set() or self._stopped.is_set():
                    continue  # not attempted: the caller unclaims it
                result = self._sender.attempt(message)
                self._answers.put(result)
                if result.outcome is Outcome.MAILBOX:
                    self._stopped.set()
        except BaseException as exc:  # a bug here must reach the caller, not vanish
            self._crashed = True
            self._answers.put(_Crashed(exc))
        finally:
            self._answers.put(_END)
