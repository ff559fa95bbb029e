"""Incoming mail mangled every way mail gets mangled must still be read without an exception.

An exception in `receive_batch` means the mail is skipped (`_handle` logs it and goes on): for a
reply to one of our messages that is a reply lost, a sequence that keeps mailing someone who
answered. So the bar is not "the worker survives" but "no exception at all". Each example takes
one of the realistic fixtures (client replies, out-of-office, DSNs of four MTAs, an ARF report)
and damages it: header values replaced with hostile text, charsets and transfer encodings
renamed, MIME boundaries broken, bytes flipped, inserted or cut.
"""

import os
import re

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.inbox.receive import receive_batch, wanted_batch
from tests.campaigns import inbound_mail as mail
from tests.campaigns.pipeline import START
from tests.campaigns.test_inbound import sent  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

BUILDERS = [
    mail.gmail_reply,
    mail.apple_reply_without_in_reply_to,
    mail.outlook_reply_by_subject,
    mail.out_of_office,
    mail.mailto_unsubscribe,
    mail.postfix_bounce,
    mail.exim_bounce,
    mail.exchange_bounce,
    mail.qmail_bounce,
    mail.gmail_bounce,
    mail.arf_complaint,
]

hostile_text = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        [
            "=?utf-8?b?////?=",
            "=?x-unknown?q?=FF?=",
            "=?utf-8?q?unterminated",
            "=?=?=?",
            "=?\u00e9t\u00e9?q?Lena?= <lena@x.example>",  # a charset name that is not ASCII
            '"unclosed <a@b',
            "<>, <<>>, ,,,",
            "a@b, (comment (nested) c@d",
            "multipart/mixed; boundary=",
            'text/plain; charset="\x00"',
            "text/plain; charset=utf-7",
            "message/delivery-status",
            "multipart/report; report-type=delivery-status",
            "multipart/report; report-type=feedback-report; boundary=x",
            "<" + "a" * 5000 + "@x>",
            "\u202e\ufeff\u200b",
        ]
    ),
)


@st.composite
def damage(draw, raw: bytes) -> bytes:
    headers = [m for m in mail.HEADER.finditer(raw.split(b"\r\n\r\n", 1)[0])]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["header", "charset", "encoding", "boundary", "bytes"]))
        if kind == "header" and headers:
            m = draw(st.sampled_from(headers))
            value = draw(hostile_text).encode("utf-8", "surrogateescape")
            raw = raw.replace(m.group(0), m.group(1) + b": " + value, 1)
            headers = [m for m in mail.HEADER.finditer(raw.split(b"\r\n\r\n", 1)[0])]
        elif kind == "charset":
            name = draw(st.sampled_from([b"x-nope", b"utf-16", b"", b"utf-32-be", b"cp1252"]))
            raw = re.sub(rb'charset="?[\w-]+"?', b"charset=" + name, raw, count=1)
        elif kind == "encoding":
            name = draw(st.sampled_from([b"base64", b"x-uuencode", b"8bit", b"bogus"]))
            raw = re.sub(
                rb"Content-Transfer-Encoding: [\w-]+", b"Content-Transfer-Encoding: " + name, raw
            )
        elif kind == "boundary":
            raw = raw.replace(b"--\r\n", b"\r\n", 1)  # the closing delimiter gone
            raw = re.sub(rb'boundary="?([^";\r\n]+)"?', b'boundary="changed"', raw, count=1)
        else:
            at = draw(st.integers(0, len(raw)))
            cut = draw(st.integers(0, 40))
            raw = raw[:at] + draw(st.binary(max_size=20)) + raw[at + cut :]
    return raw


FUZZ = settings(
    # POSTIGO_FUZZ_EXAMPLES=5000 for a longer hunt than the suite's
    max_examples=int(os.environ.get("POSTIGO_FUZZ_EXAMPLES", 300)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data())
def test_damaged_mail_is_read_without_an_exception(sent, mailbox, data):  # noqa: F811
    _campaign, by = sent
    message = by[data.draw(st.sampled_from(sorted(by)))]
    raw = data.draw(damage(data.draw(st.sampled_from(BUILDERS))(message)))
    point = transaction.savepoint()  # each example on the same sent campaign
    try:
        kinds = receive_batch(mailbox, [(raw, START)])
    finally:
        transaction.savepoint_rollback(point)
    assert len(kinds) == 1


@FUZZ
@given(data=st.data())
def test_what_the_reader_would_keep_the_header_judge_fetches(sent, mailbox, data):  # noqa: F811
    """The sync fetches whole only what `wanted_batch` picks from a few header fields; mail it
    passes over is never read. So whatever `receive_batch` would record, damaged or not, the
    judge must pick, or that reply or bounce is lost without a trace."""
    _campaign, by = sent
    message = by[data.draw(st.sampled_from(sorted(by)))]
    raw = data.draw(damage(data.draw(st.sampled_from(BUILDERS))(message)))
    point = transaction.savepoint()
    try:
        [wanted] = wanted_batch(mailbox, [mail.judged_headers(raw)])
        [kind] = receive_batch(mailbox, [(raw, START)])
    finally:
        transaction.savepoint_rollback(point)
    assert wanted or kind is None, (kind, mail.judged_headers(raw))
