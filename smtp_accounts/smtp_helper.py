"""The SMTP helper process's own side (the worker's side is `background.py`).

Run as `python -m smtp_accounts.smtp_helper <fd> <worker pid>`: a fresh interpreter (nothing
inherited from a worker that may have threads; Celery's pool processes may not use
multiprocessing's children), which sets Django up from the worker's environment. It never
touches the database.

The conversation on the socket, per batch: the worker sends ("batch", mailbox, signer,
settings, recycle_after), then each message, then END (ABORT first if it is leaving early); the
helper answers each message it attempts with (outcome, code, response, elapsed_ms), in order,
then END. Before each message it reads whatever else has arrived, and attempts nothing more
once an ABORT is among it, after a mailbox-level failure, or once the worker that started it is
gone (a killed worker's batch stops at the message on the wire). An error here is sent as
("crashed", traceback) instead of an answer; the helper goes on with the next batch. Stop
signals are ignored: the helper ends when the worker does.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections import deque

END = "end"
ABORT = "abort"
CLEAR = "clear"  # close the sessions kept for later batches (tests, between cases)


def serve(conn, parent_pid: int) -> None:
    import django

    django.setup()
    from django.conf import settings

    from smtp_accounts.sessions import SESSIONS

    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):  # the worker is gone
            return
        if request == CLEAR:
            SESSIONS.clear()
            continue
        _kind, mailbox, signer, overrides, recycle_after = request
        for name, value in overrides.items():  # the worker's settings, as they are now
            setattr(settings, name, value)
        try:
            _batch(conn, mailbox, signer, recycle_after, parent_pid)
        except (EOFError, OSError):
            return


def _batch(conn, mailbox, signer, recycle_after: int, parent_pid: int) -> None:
    from smtp_accounts.replies import Outcome
    from smtp_accounts.sender import MailboxSender
    from smtp_accounts.sessions import SESSIONS

    sender = MailboxSender(mailbox, recycle_after=recycle_after, signer=signer, pool=SESSIONS)
    arrived: deque = deque()
    stopped = failed = aborted = False
    while True:
        while conn.poll():  # what else has arrived: an abort behind this message wins
            arrived.append(conn.recv())
        message = arrived.popleft() if arrived else conn.recv()
        aborted = aborted or message == ABORT or ABORT in arrived
        if message == END:
            break
        if message == ABORT or stopped or failed or aborted or os.getppid() != parent_pid:
            continue  # not attempted: the worker unclaims it (or recovery, if it died)
        try:
            result = sender.attempt(message)
        except Exception:  # a bug must reach the worker, not end the helper
            failed = True
            conn.send(("crashed", traceback.format_exc()))
            continue
        conn.send((result.outcome.value, result.code, result.response, result.elapsed_ms))
        stopped = result.outcome is Outcome.MAILBOX
    if failed:
        sender.drop()  # the session may be anywhere, even inside DATA
    sender.close(keep=not aborted)  # after an abort, nothing is left for the next batch
    conn.send(END)


if __name__ == "__main__":
    import signal
    from multiprocessing.connection import Connection

    # A stop signal for the whole group (systemd, Ctrl-C) must not cut the worker's batch short:
    # the worker finishes it, then exits, and the helper ends when its socket closes.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(Connection(int(sys.argv[1])), parent_pid=int(sys.argv[2]))
