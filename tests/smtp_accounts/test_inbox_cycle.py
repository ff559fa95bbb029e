"""The inbox at scale: kept IMAP connections, the staggered cycle, and one read per mailbox at a
time — against a real dovecot, faults through real seams (dovecot kicking or stopping, a
changed password, a lock held by another worker)."""

import contextlib
import datetime
import logging
import ssl
import subprocess
import time

import imapclient
import pytest
import time_machine
from django.utils import timezone

from campaigns.inbox.sync import inbox_sync_tick, mailbox_inbox_sync, mailboxes_inbox_sync
from campaigns.models import Reply
from smtp_accounts.imap_cycle import cycle_slots
from smtp_accounts.imap_pool import POOL
from smtp_accounts.models import Mailbox
from tests.campaigns import inbound_mail as mail
from tests.factories import make_mailbox, read_from, sent_message
from tests.servers import imap

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_pool():
    POOL.close_all()
    yield
    POOL.close_all()


def signed_in(server) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient("localhost", port=server.port, ssl=False)
    client.starttls(ssl.create_default_context(cafile=str(server.cert)))
    client.login(server.username, server.password)
    return client


@pytest.fixture
def inbox(imap_server):
    """The test user's INBOX, emptied; returns a signed-in client to append with."""
    client = signed_in(imap_server)
    for folder in ("INBOX", "Junk"):
        if client.folder_exists(folder):
            client.select_folder(folder)
            client.delete_messages(client.search("ALL"))
            client.expunge()
    yield client
    with contextlib.suppress(imapclient.exceptions.IMAPClientError, OSError):
        client.logout()  # a test may have had dovecot drop it


@pytest.fixture
def reader(mailbox, imap_server):
    """The mailbox, having sent one campaign message an hour ago, reads the test dovecot."""
    read_from(mailbox, imap_server)
    message = sent_message(mailbox, at=timezone.now() - datetime.timedelta(hours=1))
    return mailbox, message


def logins(server, user: str = imap.TestIMAPServer.username) -> int:
    """Sign-ins dovecot has logged for the user (its login processes log each one)."""
    log = server.root / "dovecot.log"
    return log.read_text().count(f"Login: user=<{user}>") if log.exists() else 0


def logins_since(server, before: int, *, at_least: int) -> int:
    """New sign-ins, waiting for dovecot's log to catch up with at least `at_least`."""
    deadline = time.monotonic() + 5
    while logins(server) - before < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # and for any later one to show
    return logins(server) - before


def reply(inbox, message, n: int) -> None:
    raw = mail.gmail_reply(message, body=f"Answer number {n}.")
    inbox.append("INBOX", raw.replace(b"x@mail.gmail.com", f"n{n}@mail.gmail.com".encode()))


def test_a_mailbox_read_again_keeps_its_connection_and_reads_the_new_mail(
    reader, inbox, imap_server
):
    mailbox, message = reader
    before = logins(imap_server)
    reply(inbox, message, 1)
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 1
    reply(inbox, message, 2)
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 1
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 0  # nothing new: STATUS says so
    assert logins_since(imap_server, before, at_least=1) == 1
    assert Reply.objects.filter(message=message).count() == 2


def test_a_changed_password_is_never_read_with_the_old_session(reader, inbox, imap_server):
    mailbox, message = reader
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    assert len(POOL) == 1
    mailbox.imap_password = "changed-by-the-owner"  # wrong for the server: the read must fail
    mailbox.save()
    reply(inbox, message, 1)
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error" and "rejected" in mailbox.imap_error
    assert len(POOL) == 0 and not Reply.objects.exists()


def test_a_password_no_longer_bound_to_the_server_closes_the_kept_session(reader, imap_server):
    mailbox, _message = reader
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="127.0.0.1")  # not what it was typed for
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.status == "paused_error" and len(POOL) == 0


def test_a_connection_idle_too_long_is_replaced(reader, inbox, imap_server, settings):
    settings.IMAP_POOL_IDLE_SECONDS = 0
    mailbox, message = reader
    before = logins(imap_server)
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    reply(inbox, message, 1)
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 1
    assert logins_since(imap_server, before, at_least=2) == 2


def test_no_connection_is_kept_when_the_pool_is_off(reader, inbox, settings):
    settings.IMAP_POOL_SIZE = 0
    mailbox, _message = reader
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 0
    assert len(POOL) == 0


def test_a_session_the_server_dropped_is_replaced_without_a_failure(reader, inbox, imap_server):
    mailbox, message = reader
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    kicked = subprocess.run(
        ["doveadm", "-c", str(imap_server.config), "kick", imap_server.username],
        capture_output=True,
        timeout=30,
    )
    assert kicked.returncode == 0, kicked.stderr
    fresh = signed_in(imap_server)  # the kick dropped every session of the user
    reply(fresh, message, 1)
    fresh.logout()
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 1
    mailbox.refresh_from_db()
    assert mailbox.imap_failures == 0


def test_dovecot_stopping_mid_cycle_fails_the_read_and_keeps_nothing(
    mailbox, certificate, settings
):
    server = imap.TestIMAPServer(certificate).start()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    try:
        read_from(mailbox, server)
        sent_message(mailbox, at=timezone.now() - datetime.timedelta(hours=1))
        assert mailbox_inbox_sync(mailbox_id=mailbox.pk).read == 0
        assert len(POOL) == 1
    finally:
        server.stop()
    # The kept session may outlive the server for a moment (its folders gone): an error either
    # way, and the session is not kept; the next read finds nothing listening.
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    assert len(POOL) == 0
    assert mailbox_inbox_sync(mailbox_id=mailbox.pk) is None
    mailbox.refresh_from_db()
    assert mailbox.imap_failures == 2 and mailbox.status == "active"
    assert "Could not talk to localhost" in mailbox.imap_error
    assert len(POOL) == 0


def test_a_mailbox_another_worker_is_reading_is_skipped(reader, inbox):
    mailbox, message = reader
    reply(inbox, message, 1)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_sync_started_at=timezone.now())
    done = mailboxes_inbox_sync(mailbox_ids=[mailbox.pk])
    assert (done.read, done.skipped) == (0, 1)
    assert not Reply.objects.exists()


def test_a_lock_left_by_a_dead_worker_expires(reader, inbox):
    mailbox, message = reader
    reply(inbox, message, 1)
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_sync_started_at=an_hour_ago)
    assert mailboxes_inbox_sync(mailbox_ids=[mailbox.pk]).read == 1
    mailbox.refresh_from_db()
    assert mailbox.imap_sync_started_at is None and Reply.objects.count() == 1


def reading_mailboxes(workspace, n: int) -> list[int]:
    ids = []
    for i in range(n):
        box = make_mailbox(workspace, email=f"s{i}@acme.example", imap_host="imap.acme.example")
        sent_message(box, at=timezone.now() - datetime.timedelta(hours=1), lead_email=f"l{i}@x.x")
        ids.append(box.pk)
    return ids


def test_a_cycle_queues_every_mailbox_once_spread_over_its_ticks(workspace_a, settings):
    settings.INBOX_SYNC_CYCLE_SECONDS, settings.INBOX_SYNC_TICK_SECONDS = 120, 15
    settings.INBOX_SYNC_BATCH = 2
    ids = reading_mailboxes(workspace_a, 11)
    start = timezone.now().replace(second=0, microsecond=0)
    ticks = [inbox_sync_tick(now=start + datetime.timedelta(seconds=15 * k)) for k in range(8)]
    queued = [pk for batches in ticks for batch in batches for pk in batch]
    assert sorted(queued) == sorted(ids)  # each once
    slots = cycle_slots()
    for batches in ticks:
        assert all(len(batch) <= 2 for batch in batches)
        assert len({pk % slots for batch in batches for pk in batch}) <= 1  # one slot per tick
    assert max(sum(map(len, batches)) for batches in ticks) <= 2  # 11 over 8 ticks: no burst


def test_an_overrun_cycle_queues_no_mailbox_twice_and_says_by_how_much(
    workspace_a, settings, caplog
):
    settings.INBOX_SYNC_CYCLE_SECONDS = settings.INBOX_SYNC_TICK_SECONDS = 15  # one slot
    ids = reading_mailboxes(workspace_a, 3)
    now = timezone.now()
    assert sorted(pk for batch in inbox_sync_tick(now=now) for pk in batch) == sorted(ids)
    Mailbox.objects.filter(pk=ids[0]).update(imap_sync_queued_at=None)  # its read started
    with caplog.at_level(logging.WARNING, logger="smtp_accounts.imap_cycle"):
        again = inbox_sync_tick(now=now + datetime.timedelta(seconds=15))
    assert again == [[ids[0]]]
    assert "inbox cycle overran: 2 of 3 mailboxes" in caplog.text
    with time_machine.travel(now + datetime.timedelta(minutes=31)):  # those workers died
        assert sorted(pk for batch in inbox_sync_tick() for pk in batch) == sorted(ids)


def test_with_shards_each_mailbox_always_goes_to_its_own_queue(workspace_a, settings):
    from campaigns.inbox.sync import inbox_queue

    settings.INBOX_SYNC_CYCLE_SECONDS = settings.INBOX_SYNC_TICK_SECONDS = 15  # one slot
    settings.INBOX_SYNC_SHARDS = 3
    ids = reading_mailboxes(workspace_a, 7)
    batches = inbox_sync_tick(now=timezone.now())
    assert all(len({inbox_queue(pk) for pk in batch}) == 1 for batch in batches)
    assert {inbox_queue(pk) for pk in ids} == {"inbox.0", "inbox.1", "inbox.2"}
    settings.INBOX_SYNC_SHARDS = 1
    assert {inbox_queue(pk) for pk in ids} == {"inbox"}


def test_a_session_left_idle_by_a_mailbox_no_longer_read_is_closed(
    reader, workspace_a, imap_server, settings
):
    mailbox, _message = reader
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    assert len(POOL) == 1
    settings.IMAP_POOL_IDLE_SECONDS = 0  # the first mailbox's session is now too old
    other = make_mailbox(workspace_a, email="other@acme.example")
    read_from(other, imap_server)
    sent_message(other, at=timezone.now() - datetime.timedelta(hours=1), lead_email="o@x.x")
    mailbox_inbox_sync(mailbox_id=other.pk)
    assert len(POOL) == 1  # the other's, just handed back; the idle one was logged out
