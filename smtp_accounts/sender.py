"""Send pre-rendered messages through a mailbox: one SMTP session per batch, kept for the
mailbox's next batch (`sessions.py`).

The session is opened lazily, reused as an MTA reuses its connections (up to
MESSAGES_PER_SESSION messages and SESSION_MAX_AGE seconds, kept between batches included), reset
after a failed transaction and dropped after a 421 or a broken connection. Every attempt is logged
(SendLog, flushed in chunks and always at the end). A mailbox-level failure (authentication,
policy, rate) stops the batch: the remaining messages are not attempted.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from core.text import storable
from smtp_accounts.dkim_signing import DkimSigner
from smtp_accounts.handshake import CredentialsUnavailable, HostRefused, smtp_open
from smtp_accounts.models import Mailbox, SendLog
from smtp_accounts.replies import Outcome, classify
from smtp_accounts.sessions import SESSIONS, SessionPool, session_key

LOG_CHUNK = 500
# A session serves at most this many messages (Exim's default smtp_accept_max_per_connection:
# a server may close the connection after that many) for at most this long (Postfix's default
# smtp_connection_reuse_time_limit). A server that ends a session sooner costs one message a
# retry (a temporary failure) and the next gets a new session. Was 100 messages: a TLS
# handshake and a login every 100 were ~5% of the pipeline's time (docs/BENCHMARKS.md).
MESSAGES_PER_SESSION = 1000
SESSION_MAX_AGE = 300.0  # seconds
_UNSAFE = re.compile(r"[\r\n<>\s]")


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A rendered message ready for SMTP: `raw` has CRLF line endings (email.policy.SMTP);
    smtplib sends bytes as they are."""

    recipient: str
    raw: bytes
    message_id: str = ""


@dataclass(slots=True)
class SendResult:
    message: OutgoingMessage
    outcome: Outcome
    code: int | None
    response: str
    elapsed_ms: int


class MailboxUnavailable(Exception):
    """The mailbox cannot send at all (authentication, policy, unreachable); carries the reply."""

    def __init__(self, outcome: Outcome, code: int | None, response: str):
        super().__init__(f"{code} {response}")
        self.outcome, self.code, self.response = outcome, code, response


def _text(value) -> str:
    """A server's reply as text we can store (a NUL, which PostgreSQL refuses, replaced)."""
    return storable(
        value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
    )


class MailboxSender:
    """An SMTP session for one mailbox. Use as a context manager."""

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        recycle_after: int = MESSAGES_PER_SESSION,
        timeout: float | None = None,
        signer: DkimSigner | None = None,
        pool: SessionPool | None = None,
    ):
        if mailbox.oauth_provider and getattr(mailbox, "oauth_access", None) is None:
            from smtp_accounts.oauth.tokens import mailbox_prepare_access

            mailbox_prepare_access(mailbox=mailbox)  # in this process: the SMTP helper has it
        self.mailbox = mailbox
        self.pool = pool
        self.pool_key = session_key(mailbox) if pool is not None else None
        self.envelope_from = f"<{mailbox.email}>"
        self.signer = signer
        self.recycle_after = recycle_after
        self.timeout = timeout or settings.MAILBOX_CONNECT_TIMEOUT
        self.client: smtplib.SMTP | None = None
        self.sent_on_session = 0
        self.opened_at = 0.0  # time.monotonic()
        self.sessions_opened = 0

    def __enter__(self) -> MailboxSender:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(keep=exc_type is None)  # after an error, nothing is left for the next batch

    # --- session -----------------------------------------------------------------------
    def _open(self) -> smtplib.SMTP:
        mailbox = self.mailbox
        if _UNSAFE.search(mailbox.email):
            raise MailboxUnavailable(Outcome.MAILBOX, None, "the sender address is not valid")
        try:
            client = smtp_open(mailbox, timeout=self.timeout)
        except HostRefused as exc:
            raise MailboxUnavailable(Outcome.MAILBOX, None, exc.message) from exc
        except CredentialsUnavailable as exc:
            outcome = Outcome.TEMPORARY if exc.temporary else Outcome.MAILBOX
            raise MailboxUnavailable(outcome, None, exc.message) from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise MailboxUnavailable(Outcome.MAILBOX, exc.smtp_code, _text(exc.smtp_error)) from exc
        except ssl.SSLError as exc:
            raise MailboxUnavailable(Outcome.MAILBOX, None, f"TLS: {exc.reason or exc}") from exc
        except smtplib.SMTPResponseException as exc:
            outcome = classify(exc.smtp_code, _text(exc.smtp_error))
            if outcome is not Outcome.TEMPORARY:
                outcome = Outcome.MAILBOX
            raise MailboxUnavailable(outcome, exc.smtp_code, _text(exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Unreachable or silent: temporary for the messages, nothing to pause yet.
            raise MailboxUnavailable(Outcome.TEMPORARY, None, str(exc)) from exc
        self.sessions_opened += 1
        self.sent_on_session, self.opened_at = 0, time.monotonic()
        return client

    def _worn(self) -> bool:
        """The session has served its messages or its time: the next message gets a new one."""
        return (
            self.sent_on_session >= self.recycle_after
            or time.monotonic() - self.opened_at >= SESSION_MAX_AGE
        )

    def close(self, *, keep: bool = True) -> None:
        """End the session, or hand it to the pool for the mailbox's next batch."""
        if self.client is None:
            return
        if keep and self.pool is not None and not self._worn():
            self.pool.give(self.pool_key, self.client, self.sent_on_session, self.opened_at)
        else:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
        self.client = None

    def drop(self) -> None:
        """Close the connection without a word (after an error, the session may be anywhere:
        QUIT mid-DATA would wait for a timeout)."""
        if self.client is not None:
            self.client.close()
            self.client = None

    # --- sending -----------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> SendResult:
        """Send one message; raises MailboxUnavailable when the session cannot be opened."""
        if self.client is None and self.pool is not None:
            kept = self.pool.take(self.pool_key, opened_after=time.monotonic() - SESSION_MAX_AGE)
            if kept is not None:
                self.client, self.sent_on_session, self.opened_at = kept
        if self.client is not None and self._worn():
            self.close(keep=False)
        if self.client is None:
            self.client = self._open()
        started = time.perf_counter()
        if self.signer is not None:
            message = replace(message, raw=self.signer.sign(message.raw) + message.raw)
        code, response = self._transaction(message)
        elapsed = int((time.perf_counter() - started) * 1000)
        outcome = classify(code, response) if code is not None else Outcome.TEMPORARY
        return SendResult(message, outcome, code, response, elapsed)

    def attempt(self, message: OutgoingMessage) -> SendResult:
        """`send`, with a session that cannot be opened reported as the message's result."""
        try:
            return self.send(message)
        except MailboxUnavailable as exc:
            return SendResult(message, exc.outcome, exc.code, exc.response, 0)

    def _transaction(self, message: OutgoingMessage) -> tuple[int | None, str]:
        """MAIL, RCPT, DATA by hand, so the server's own reply to each is kept."""
        client = self.client
        assert client is not None
        # MAIL and RCPT go out as plain commands: smtplib's mail()/rcpt() re-parse each address
        # with email.utils on every call, a measurable share of the time per message. The
        # addresses were validated when stored; CR, LF and angle brackets are refused here.
        sender, recipient = self.envelope_from, message.recipient
        if _UNSAFE.search(recipient):
            return 501, f"5.1.3 not sent: {recipient!r} is not a valid address"
        try:
            for command, accepted in (
                (lambda: client.docmd("mail", f"FROM:{sender}"), (250,)),
                (lambda: client.docmd("rcpt", f"TO:<{recipient}>"), (250, 251)),
                (lambda: client.data(message.raw), (250,)),
            ):
                code, reply = command()
                if code not in accepted:
                    self._end_failed_transaction(code)
                    return code, _text(reply)
        except smtplib.SMTPServerDisconnected as exc:
            self.drop()
            return None, str(exc) or "connection closed"
        except smtplib.SMTPResponseException as exc:  # DATA refused before the body
            self._end_failed_transaction(exc.smtp_code)
            return exc.smtp_code, _text(exc.smtp_error)
        except (TimeoutError, OSError) as exc:
            self.drop()
            return None, f"connection error: {exc}"
        self.sent_on_session += 1
        return code, _text(reply)

    def _end_failed_transaction(self, code: int) -> None:
        if code == 421:  # the server is closing the session
            self.drop()
            return
        try:
            self.client.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()


def send_messages(
    mailbox: Mailbox,
    messages: Iterable[OutgoingMessage],
    *,
    recycle_after: int = MESSAGES_PER_SESSION,
    signer: DkimSigner | None = None,
    pool: SessionPool | None = SESSIONS,
) -> Iterator[SendResult]:
    """Send a batch, logging every attempt; stops at a mailbox-level failure. The session is
    taken from and left in `pool` (None: a session of its own, closed at the end)."""
    log = SendLogWriter(mailbox)
    try:
        with MailboxSender(
            mailbox, recycle_after=recycle_after, signer=signer, pool=pool
        ) as sender:
            for message in messages:
                result = sender.attempt(message)
                log.add(result)
                yield result
                if result.outcome is Outcome.MAILBOX:
                    return
    finally:
        log.flush()


class SendLogWriter:
    """Buffers SendLog rows and writes them with one executemany per chunk.

    This is the sender's hot path: building a model instance per attempt and letting
    bulk_create assemble the SQL cost about a tenth of the send rate; plain tuples do not.
    Columns come from the model's metadata, so the SQL follows migrations.
    """

    FIELDS = (
        "mailbox",
        "recipient",
        "message_id",
        "outcome",
        "code",
        "response",
        "elapsed_ms",
        "created_at",
    )

    def __init__(self, mailbox: Mailbox):
        self.mailbox_id = mailbox.pk
        self.rows: list[tuple] = []
        meta = SendLog._meta
        self.connection = connections[router.db_for_write(SendLog)]
        quote = self.connection.ops.quote_name
        columns = ", ".join(quote(meta.get_field(name).column) for name in self.FIELDS)
        placeholders = ", ".join(["%s"] * len(self.FIELDS))
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"

    def add(self, result: SendResult) -> None:
        message = result.message
        self.rows.append(
            (
                self.mailbox_id,
                message.recipient,
                message.message_id[:255],
                result.outcome.value,
                result.code,
                result.response[:1000],
                result.elapsed_ms,
                self.connection.ops.adapt_datetimefield_value(timezone.now()),
            )
        )
        if len(self.rows) >= LOG_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            # One transaction (not one a row, as autocommit would make it): on SQLite 200 rows
            # took 6-9 ms in autocommit, 0.9 ms in one transaction.
            atomic = transaction.atomic(using=self.connection.alias, savepoint=False)
            with atomic, self.connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows.clear()
