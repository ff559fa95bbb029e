"""The sender against a real, scripted SMTP server."""

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Notification
from smtp_accounts.models import Mailbox, SendLog
from smtp_accounts.replies import Outcome
from smtp_accounts.services import mailbox_send_batch
from tests.factories import make_mailbox, outgoing

pytestmark = pytest.mark.django_db


def outcomes(results):
    return [r.outcome for r in results]


def test_a_batch_goes_out_on_one_session_and_is_logged(mailbox, smtp_server):
    before = timezone.now()
    results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(5))
    assert outcomes(results) == [Outcome.SENT] * 5
    assert [r.rcpt_tos for r in smtp_server.received] == [
        [f"lead{i}@example.com"] for i in range(5)
    ]
    assert len(smtp_server.auth_attempts) == 1
    logs = SendLog.objects.filter(mailbox=mailbox)
    assert logs.count() == 5
    assert set(logs.values_list("code", flat=True)) == {250}
    assert all("queued" in r for r in logs.values_list("response", flat=True))
    assert list(logs.order_by("pk").values_list("recipient", "message_id", "outcome")) == [
        (f"lead{i}@example.com", f"<m{i}@acme.example>", "sent") for i in range(5)
    ]
    assert all(before <= log.created_at <= timezone.now() for log in logs)
    mailbox.refresh_from_db()
    assert mailbox.last_sent_at is not None and mailbox.consecutive_failures == 0


def test_the_session_is_recycled(mailbox, smtp_server):
    from smtp_accounts.sender import send_messages

    results = list(send_messages(mailbox, outgoing(5), recycle_after=2))
    assert outcomes(results) == [Outcome.SENT] * 5
    assert len(smtp_server.auth_attempts) == 3


def test_a_session_is_not_reused_past_its_age(mailbox, smtp_server, monkeypatch):
    """Like an MTA's connection cache (Postfix: smtp_connection_reuse_time_limit), kept
    sessions included."""
    from smtp_accounts import sender
    from smtp_accounts.sessions import SessionPool

    pool = SessionPool()
    assert outcomes(sender.send_messages(mailbox, outgoing(2), pool=pool)) == [Outcome.SENT] * 2
    assert outcomes(sender.send_messages(mailbox, outgoing(1), pool=pool)) == [Outcome.SENT]
    assert len(smtp_server.auth_attempts) == 1  # young: reused, also from the pool
    monkeypatch.setattr(sender, "SESSION_MAX_AGE", 0.0)
    assert outcomes(sender.send_messages(mailbox, outgoing(2), pool=pool)) == [Outcome.SENT] * 2
    assert len(smtp_server.auth_attempts) == 1 + 2  # too old: the kept one, then each new one
    pool.clear()


def test_a_rejected_recipient_does_not_stop_the_others(mailbox, smtp_server):
    smtp_server.script.rcpt["lead1@example.com"] = "550 5.1.1 <lead1@example.com>: User unknown"
    results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(3))
    assert outcomes(results) == [Outcome.SENT, Outcome.HARD_BOUNCE, Outcome.SENT]
    assert results[1].code == 550 and "User unknown" in results[1].response
    assert len(smtp_server.received) == 2


def test_a_temporary_failure_is_reported_for_retry(mailbox, smtp_server):
    smtp_server.script.data_reply = "451 4.3.0 Try again later"
    results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(2))
    assert outcomes(results) == [Outcome.TEMPORARY] * 2
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 2
    assert mailbox.status == Mailbox.Status.ACTIVE


def test_a_421_drops_the_session_and_the_next_message_reconnects(mailbox, smtp_server):
    smtp_server.script.rcpt["lead0@example.com"] = "421 4.4.2 Closing connection"
    results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(2))
    assert outcomes(results) == [Outcome.TEMPORARY, Outcome.SENT]
    assert len(smtp_server.auth_attempts) == 2


def test_a_disconnect_mid_data_is_temporary_and_sending_goes_on(mailbox, smtp_server):
    smtp_server.script.disconnect_in_data = True
    first = mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    smtp_server.script.disconnect_in_data = False
    rest = mailbox_send_batch(mailbox=mailbox, messages=outgoing(2, start=1))
    assert outcomes(first) == [Outcome.TEMPORARY], first
    assert outcomes(rest) == [Outcome.SENT, Outcome.SENT]


def test_an_auth_failure_pauses_exactly_that_mailbox_and_notifies(
    mailbox, smtp_server, workspace_a, alice, django_capture_on_commit_callbacks
):
    other = make_mailbox(
        workspace_a,
        email="second@acme.example",
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
    )
    mailbox.smtp_password = "changed-by-someone"
    mailbox.save()
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves on commit
        results = mailbox_send_batch(mailbox=mailbox, messages=outgoing(3))
    # The batch stops at the first mailbox-level failure: one attempt, one log line.
    assert outcomes(results) == [Outcome.MAILBOX]
    assert results[0].code == 535
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_ERROR
    assert "535" in mailbox.status_reason
    assert SendLog.objects.filter(mailbox=mailbox).count() == 1
    note = Notification.objects.get(user=alice)
    assert mailbox.email in note.title and note.level == "error"
    assert mail.outbox and mailbox.email in mail.outbox[-1].subject
    assert mail.outbox[-1].to == ["alice@example.com"]
    # The other mailbox is untouched and still sends.
    assert outcomes(mailbox_send_batch(mailbox=other, messages=outgoing(1))) == [Outcome.SENT]
    other.refresh_from_db()
    assert other.status == Mailbox.Status.ACTIVE


def test_killing_the_server_mid_batch_loses_no_log_line(mailbox, smtp_server):
    def messages():
        yield from outgoing(3)
        smtp_server.stop()  # the server dies between two messages
        yield from outgoing(3, start=3)

    results = mailbox_send_batch(mailbox=mailbox, messages=messages())
    assert outcomes(results) == [Outcome.SENT] * 3 + [Outcome.TEMPORARY] * 3
    assert SendLog.objects.filter(mailbox=mailbox).count() == 6
    assert list(
        SendLog.objects.filter(mailbox=mailbox, outcome="temporary")
        .order_by("recipient")
        .values_list("recipient", flat=True)
    ) == ["lead3@example.com", "lead4@example.com", "lead5@example.com"]
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.ACTIVE  # unreachable is not a reason to pause


def test_an_address_that_could_inject_smtp_commands_is_never_sent(mailbox, smtp_server):
    from smtp_accounts.sender import OutgoingMessage

    good = outgoing(1)[0]
    evil = OutgoingMessage("x@example.com>\r\nRCPT TO:<victim@example.com", good.raw, "<e@x>")
    results = mailbox_send_batch(mailbox=mailbox, messages=[evil, good])

    assert outcomes(results) == [Outcome.HARD_BOUNCE, Outcome.SENT]
    assert [r.rcpt_tos for r in smtp_server.received] == [["lead0@example.com"]]


def test_the_next_batch_of_a_mailbox_reuses_its_session(mailbox, smtp_server):
    from smtp_accounts.sessions import SESSIONS

    mailbox_send_batch(mailbox=mailbox, messages=outgoing(2))
    mailbox_send_batch(mailbox=mailbox, messages=outgoing(2))
    assert len(smtp_server.received) == 4
    assert len(smtp_server.auth_attempts) == 1  # one login for both batches

    # The server hung up meanwhile: the NOOP check notices, a new session is opened.
    SESSIONS.clear()
    mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    assert len(smtp_server.auth_attempts) == 2

    # New credentials never find the old session.
    mailbox.smtp_password = "another-password"
    mailbox.save()  # (entered anew: it is bound to this server)
    [result] = mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    assert result.outcome is Outcome.MAILBOX and len(smtp_server.auth_attempts) > 2


def test_an_idle_session_is_closed_not_reused(mailbox, smtp_server):
    from smtp_accounts.sessions import SESSIONS

    mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    SESSIONS.idle = 0.0
    try:
        mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    finally:
        SESSIONS.idle = 60.0
    assert len(smtp_server.auth_attempts) == 2
