"""Reading a mailbox's new mail over IMAP, incrementally and without touching it.

Per folder (INBOX and the provider's junk folder, found by its SPECIAL-USE flag or usual name),
`ImapFolderState` remembers the folder's UIDVALIDITY and the last UID handled. A run selects the
folder read-only and fetches with BODY.PEEK, so nothing is marked read, moved or deleted; it
takes the UIDs after the last one (on the first run, or after UIDVALIDITY changed, the mail
since the mailbox's first campaign message).

Headers first: one FETCH brings the header fields the judge reads for HEADER_BATCH messages,
and `wanted(headers)` says which are worth reading whole (the campaign side: answers to our
messages, bounce and complaint reports). The others — the mailbox owner's own mail — are never
downloaded past those fields. The wanted ones are fetched BATCH at a time and go to `handle`
as (raw, received_at); messages over MAX_SIZE as their header only. The checkpoint is saved
after each header batch, so a crash re-reads at most one — handlers are idempotent. The handler
says how many messages it could not handle (logged and skipped: one bad mail never blocks a
mailbox). A run stops, per folder, after MAX_WHOLE_PER_RUN messages read whole or
MAX_HEADERS_PER_RUN in all; the next run goes on from the checkpoint.

The connection comes from the worker's pool (`imap_pool.py`): a mailbox read every cycle by the
same process signs in once, not every cycle; a failed read closes its connection.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

import imapclient
import imapclient.imapclient
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient.exceptions import IMAPClientError, LoginError

from smtp_accounts.connection import imap_error_text
from smtp_accounts.handshake import CredentialsUnavailable, HostRefused, Stage
from smtp_accounts.imap_pool import POOL, session_close
from smtp_accounts.models import ImapFolderState, Mailbox

logger = logging.getLogger(__name__)

HEADER_BATCH = 500  # headers judged per FETCH, and the checkpoint
BATCH = 100  # whole messages fetched (and handed to the handler) at a time
MAX_WHOLE_PER_RUN = 1000  # what a run may read whole: the costly part …
MAX_HEADERS_PER_RUN = 10_000  # … and in all; the rest waits for the next run
MAX_SIZE = 10 * 1024 * 1024
FIRST_SYNC_BEFORE = datetime.timedelta(days=1)
JUNK_NAMES = (
    "Junk",
    "Spam",
    "[Gmail]/Spam",
    "Junk E-mail",
    "Bulk Mail",
    "INBOX.Junk",
    "INBOX.Spam",
)

# Gets a fetched batch of (raw message, received at); returns how many it could not handle.
Handler = Callable[[list[tuple[bytes, datetime.datetime]]], int]
# Gets a batch's headers; says for each whether the whole message is to be read.
Wanted = Callable[[list[bytes]], list[bool]]


def _everything(headers: list[bytes]) -> list[bool]:
    return [True] * len(headers)


class SyncError(Exception):
    """The mailbox could not be read; `auth` when the server refused the credentials."""

    def __init__(self, message: str, *, auth: bool = False):
        super().__init__(message)
        self.auth = auth


@dataclass
class SyncResult:
    read: int = 0
    failed: int = 0


def mailbox_sync(
    mailbox: Mailbox,
    handle: Handler,
    *,
    since: datetime.datetime,
    wanted: Wanted = _everything,
    judged_on: tuple[str, ...] = (),
) -> SyncResult:
    """Read what is new in the mailbox's folders; `since` bounds a first (or reset) read.
    `wanted` sees the header fields named in `judged_on` (all of the header if none: real
    headers carry kilobytes of Received and DKIM lines a judge rarely needs). `read` counts
    every message looked at, whole or not."""
    result = SyncResult()
    try:
        session = POOL.take(mailbox)
    except CredentialsUnavailable as exc:  # revoked: pause; provider outage: try next run
        raise SyncError(exc.message, auth=not exc.temporary) from exc
    except HostRefused as exc:  # a password entered for another server: pause, as a refusal
        raise SyncError(exc.message, auth=exc.stage == Stage.SECRET) from exc
    except LoginError as exc:
        raise SyncError(
            _("The IMAP server rejected the username or password: %(reply)s")
            % {"reply": imap_error_text(exc)},
            auth=True,
        ) from exc
    except (IMAPClientError, OSError) as exc:
        raise SyncError(_failure(mailbox, exc)) from exc
    try:
        if session.folders is None:
            session.folders = _folders(session.client)
        for folder in session.folders:
            reader = (_header_item(judged_on), wanted, handle)
            _sync_folder(session.client, mailbox, folder, reader, since, result)
    except (IMAPClientError, OSError) as exc:
        session_close(session)
        raise SyncError(_failure(mailbox, exc)) from exc
    except BaseException:
        session_close(session)
        raise
    POOL.give_back(mailbox.pk, session)
    return result


def _failure(mailbox: Mailbox, exc: Exception) -> str:
    if isinstance(exc, IMAPClientError):
        return _("The IMAP server answered with an error: %(reply)s") % {
            "reply": imap_error_text(exc)
        }
    return _("Could not talk to %(host)s:%(port)s: %(error)s") % {
        "host": mailbox.imap_host,
        "port": mailbox.imap_port,
        "error": imap_error_text(exc) or exc.__class__.__name__,
    }


def _folders(client: imapclient.IMAPClient) -> list[str]:
    folders = ["INBOX"]
    junk = client.find_special_folder(imapclient.imapclient.JUNK)
    if junk is None:
        names = {name for _flags, _sep, name in client.list_folders()}
        junk = next((name for name in JUNK_NAMES if name in names), None)
    if junk and junk != "INBOX":
        folders.append(junk)
    return folders


def _sync_folder(
    client: imapclient.IMAPClient,
    mailbox: Mailbox,
    folder: str,
    reader: tuple[str, Wanted, Handler],
    since: datetime.datetime,
    result: SyncResult,
) -> None:
    status = client.folder_status(folder, [b"UIDNEXT", b"UIDVALIDITY"])
    uidnext = int(status.get(b"UIDNEXT", 0))
    state, _created = ImapFolderState.objects.get_or_create(mailbox=mailbox, folder=folder)
    if uidnext and (state.uidvalidity, state.uidnext) == (
        int(status.get(b"UIDVALIDITY", 0)),
        uidnext,
    ):
        return  # nothing arrived since a read went through the whole folder
    info = client.select_folder(folder, readonly=True)
    validity = int(info.get(b"UIDVALIDITY", 0))
    if state.uidvalidity != validity:  # new folder, or its UIDs were reassigned
        state.uidvalidity, state.last_uid = validity, 0
        state.save(update_fields=["uidvalidity", "last_uid"])
    if state.last_uid:
        criteria = ["UID", f"{state.last_uid + 1}:*"]
    else:
        criteria = ["SINCE", (since - FIRST_SYNC_BEFORE).date()]
    # "n:*" always includes the highest UID, even when it is below n.
    found = sorted(uid for uid in client.search(criteria) if uid > state.last_uid)
    uids = found[:MAX_HEADERS_PER_RUN]
    header_item, wanted, handle = reader
    whole = 0
    for start in range(0, len(uids), HEADER_BATCH):
        if whole >= MAX_WHOLE_PER_RUN:
            break
        batch = uids[start : start + HEADER_BATCH]
        seen, chosen = _judge(client, batch, header_item, wanted)
        failed = 0
        for at in range(0, len(chosen), BATCH):
            items = _read_whole(client, chosen[at : at + BATCH])
            failed += handle(items) if items else 0
            whole += len(items)
        if failed:
            logger.warning("Mailbox %s: %s message(s) in %s skipped", mailbox.pk, failed, folder)
        result.read += seen - failed
        result.failed += failed
        state.last_uid, state.synced_at = batch[-1], timezone.now()
        state.save(update_fields=["last_uid", "synced_at"])
    client.close_folder()  # read-only: expunges nothing; a kept connection sits unselected
    if (not found or state.last_uid == found[-1]) and status.get(b"UIDVALIDITY") == validity:
        state.uidnext = uidnext  # read through: what arrives next has a UID from here on
        state.save(update_fields=["uidnext"])


def _header_item(fields: tuple[str, ...]) -> str:
    if not fields:
        return "BODY.PEEK[HEADER]"
    if not all(name.replace("-", "").isalnum() for name in fields):
        raise ValueError(f"not header field names: {fields!r}")
    return f"BODY.PEEK[HEADER.FIELDS ({' '.join(fields).upper()})]"


def _header_of(data: dict) -> bytes:
    """The header section in a FETCH answer, whichever form of it was asked for."""
    return next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), None) or b""


def _judge(client: imapclient.IMAPClient, uids: list[int], header_item: str, wanted: Wanted):
    """How many of `uids` are still there, and which of them to read whole (UID order)."""
    heads = client.fetch(uids, [header_item])
    present = [uid for uid in uids if uid in heads]  # the others were expunged meanwhile
    try:
        verdicts = wanted([_header_of(heads[uid]) for uid in present])
    except Exception:  # a judge choking on strange headers must not hide mail: read it all
        logger.exception("Could not sort a batch by its headers; reading it whole")
        verdicts = [True] * len(present)
    return len(present), [uid for uid, want in zip(present, verdicts, strict=True) if want]


def _read_whole(client: imapclient.IMAPClient, uids: list[int]):
    """(raw bytes, received at) of each message, in UID order; oversized mail as its whole
    header only. Size and arrival are fetched only here, for the mail read whole (parsing them
    is a good part of the cost of a FETCH answer); the size decides what is fetched."""
    facts = client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
    uids = [uid for uid in uids if uid in facts]
    small = [uid for uid in uids if facts[uid].get(b"RFC822.SIZE", 0) <= MAX_SIZE]
    large = [uid for uid in uids if uid not in small]
    bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
    headers = client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
    items = []
    for uid in uids:
        if uid in bodies:
            raw = bodies[uid].get(b"BODY[]") or b""
        elif uid in headers:  # oversized: the header is what there is to read
            raw = headers[uid].get(b"BODY[HEADER]") or b""
        else:  # expunged between the two fetches
            continue
        received = facts[uid].get(b"INTERNALDATE") or timezone.now()
        if timezone.is_naive(received):
            received = timezone.make_aware(received, datetime.UTC)
        items.append((raw, received))
    return items


# --- the mailbox's reading health: shown on the mailbox list, and what paces the next runs -------


def mailbox_read_succeeded(*, mailbox: Mailbox) -> None:
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_synced_at=timezone.now(), imap_failures=0, imap_error=""
    )


def mailbox_read_failed(*, mailbox: Mailbox, error: SyncError) -> None:
    """A failed read is shown on the mailbox list and the next runs back off; refused
    credentials pause the mailbox and tell the workspace, as a refused SMTP login does."""
    from smtp_accounts.services import mailbox_paused_by_error

    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_failures=F("imap_failures") + 1,
        imap_error=str(error)[:500],
        imap_failed_at=timezone.now(),
    )
    if error.auth:
        mailbox_paused_by_error(mailbox=mailbox, reason=str(error), reading=True)
    else:
        logger.warning("Mailbox %s: inbox not read: %s", mailbox.pk, error)


def mailboxes_due_for_reading(mailboxes) -> list[int]:
    """Of these active mailboxes (a queryset), the ids of those with IMAP whose reads are not
    backing off: one whose reads keep failing waits 2, 4, 8 … up to 60 minutes between tries."""
    now = timezone.now()
    candidates = (
        mailboxes.filter(status=Mailbox.Status.ACTIVE)
        .exclude(imap_host="")
        .values_list("pk", "imap_failures", "imap_failed_at")
    )
    return [
        pk
        for pk, failures, failed_at in candidates
        if not failures or now - failed_at >= read_backoff(failures)
    ]


def read_backoff(failures: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=min(60, 2 ** min(failures, 6)))
