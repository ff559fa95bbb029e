"""The SMTP helper process (smtp_accounts/background.py, smtp_helper.py) against a real server.

Through `BackgroundSender` it runs in its own process; its batch loop is also driven here in
this process over a real pipe, to reach the cases a worker cannot stage: its worker gone, a bug
while sending.
"""

import multiprocessing
import os
import threading
from dataclasses import replace

import pytest

from smtp_accounts.background import BackgroundSender, HelperFailed, helper
from smtp_accounts.replies import Outcome
from smtp_accounts.smtp_helper import ABORT, END, _batch
from tests.factories import outgoing

pytestmark = pytest.mark.django_db


def test_a_batch_through_the_helper_is_answered_in_order_and_logged(mailbox, smtp_server):
    from smtp_accounts.models import SendLog

    with BackgroundSender(mailbox) as smtp:
        for message in outgoing(4):
            smtp.send(message)
        results = list(smtp.finish())
    assert [r.outcome for r in results] == [Outcome.SENT] * 4
    assert [r.message.recipient for r in results] == [f"lead{i}@example.com" for i in range(4)]
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [m.recipient for m in outgoing(4)]
    assert SendLog.objects.filter(mailbox=mailbox, outcome="sent").count() == 4
    assert helper().process.pid != os.getpid()  # really another process


def test_the_helper_keeps_the_session_for_the_next_batch(mailbox, smtp_server):
    for start in (0, 2):
        with BackgroundSender(mailbox) as smtp:
            for message in outgoing(2, start=start):
                smtp.send(message)
            assert [r.outcome for r in smtp.finish()] == [Outcome.SENT] * 2
    assert len(smtp_server.auth_attempts) == 1


def test_a_stop_signal_for_the_group_leaves_the_batch_to_the_worker(mailbox, smtp_server):
    """systemd or Ctrl-C signal every process: the worker finishes its batch, so the helper
    must outlive the signal and end with the worker."""
    import signal

    pids = []
    for start, stop in ((0, None), (1, signal.SIGTERM), (2, signal.SIGINT)):
        if stop is not None:  # after a batch: the helper is past its start
            os.kill(helper().process.pid, stop)
        with BackgroundSender(mailbox) as smtp:
            smtp.send(outgoing(1, start=start)[0])
            assert [r.outcome for r in smtp.finish()] == [Outcome.SENT]
        pids.append(helper().process.pid)
    assert len(set(pids)) == 1 and len(smtp_server.received) == 3  # the same helper throughout


def test_a_mailbox_failure_stops_the_batch_in_the_helper(mailbox, smtp_server):
    smtp_server.script.rcpt = {"lead1@example.com": "550 5.7.1 Daily sending quota exceeded"}
    with BackgroundSender(mailbox) as smtp:
        for message in outgoing(4):
            smtp.send(message)
        results = list(smtp.finish())
        assert smtp.stopped
    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.MAILBOX]  # 2 and 3: nothing
    assert len(smtp_server.received) == 1


@pytest.mark.timeout(60)
def test_waiting_for_answers_ends_at_a_mailbox_failure(mailbox, smtp_server):
    smtp_server.script.rcpt = {"lead1@example.com": "550 5.7.1 Daily sending quota exceeded"}
    with BackgroundSender(mailbox) as smtp:
        for message in outgoing(20):
            smtp.send(message)
        results = list(smtp.results(at_least=15))  # only two answers will ever come
        assert smtp.stopped
        assert [r.outcome for r in results] == [Outcome.SENT, Outcome.MAILBOX]
        assert list(smtp.finish()) == []


def _drive(mailbox, messages, *, parent_pid=None):
    """The helper's batch loop in this process, over a real pipe; returns its answers."""
    ours, theirs = multiprocessing.Pipe()
    for message in messages:
        ours.send(message)
    ours.send(END)
    parent = os.getppid() if parent_pid is None else parent_pid
    loop = threading.Thread(target=_batch, args=(theirs, mailbox, None, 100, parent))
    loop.start()
    answers = []
    while (answer := ours.recv()) != END:
        answers.append(answer)
    loop.join()
    return answers


def test_a_helper_whose_worker_is_gone_attempts_nothing(mailbox, smtp_server):
    assert _drive(mailbox, outgoing(3), parent_pid=-1) == []
    assert smtp_server.received == []


def test_an_abort_that_has_arrived_wins_over_the_messages_ahead_of_it(mailbox, smtp_server):
    assert _drive(mailbox, [*outgoing(2), ABORT, *outgoing(1, start=2)]) == []
    assert smtp_server.received == []


def test_after_an_abort_nothing_more_is_attempted(mailbox, smtp_server):
    first, second = outgoing(2)
    ours, theirs = multiprocessing.Pipe()
    loop = threading.Thread(target=_batch, args=(theirs, mailbox, None, 100, os.getppid()))
    loop.start()
    ours.send(first)
    assert ours.recv()[0] == "sent"
    for item in (ABORT, second, END):
        ours.send(item)
    assert ours.recv() == END
    loop.join()
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [first.recipient]


def test_a_bug_while_sending_is_reported_and_ends_the_batch(mailbox, smtp_server):
    first, broken, third = outgoing(3)
    answers = _drive(mailbox, [first, replace(broken, raw=None), third])
    assert answers[0][0] == "sent"
    assert answers[1][0] == "crashed" and "Traceback" in answers[1][1]
    assert len(answers) == 2  # nothing attempted after it
    assert [r.rcpt_tos[0] for r in smtp_server.received] == [first.recipient]


def test_the_worker_raises_when_the_helper_reports_a_bug(mailbox, smtp_server):
    first, broken = outgoing(2)
    with pytest.raises(HelperFailed, match="Traceback"), BackgroundSender(mailbox) as smtp:
        smtp.send(first)
        smtp.send(replace(broken, raw=None))
        list(smtp.finish())
    assert len(smtp_server.received) == 1
    with BackgroundSender(mailbox) as smtp:  # the helper goes on with the next batch
        smtp.send(outgoing(1, start=5)[0])
        assert [r.outcome for r in smtp.finish()] == [Outcome.SENT]
