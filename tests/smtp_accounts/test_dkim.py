import time
from email import policy
from email.message import EmailMessage

import dkim
import pytest
import time_machine

from smtp_accounts.dkim_signing import (
    DEFAULT_HEADERS,
    DkimSigner,
    generate_private_key,
    public_key_record,
)


@pytest.fixture(scope="module")
def private_key() -> bytes:
    return generate_private_key()


def message(subject: str = "Quick question about Acme") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice Archer <alice@acme.example>"
    msg["To"] = "Bob Baker <bob@lead.example>"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = "<abc123@acme.example>"
    msg["List-Unsubscribe"] = "<https://app.example/u/tok>, <mailto:unsub@acme.example>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content("Hi Bob,\n\nA short line.\n.\nA line with a lone dot above.\n")
    return msg.as_bytes(policy=policy.SMTP)


def dns_for(private_key: bytes):
    record = public_key_record(private_key).encode()

    def lookup(name, timeout=5):
        return record if name == b"s1._domainkey.acme.example." else None

    return lookup


def test_signatures_are_byte_identical_to_dkimpy(private_key):
    signer = DkimSigner(domain="acme.example", selector="s1", private_key_pem=private_key)
    raw = message()
    with time_machine.travel(1_795_000_000, tick=False):
        ours = signer.sign(raw)
        theirs = dkim.sign(
            raw,
            b"s1",
            b"acme.example",
            private_key,
            include_headers=[h.encode() for h in DEFAULT_HEADERS],
            canonicalize=(b"relaxed", b"simple"),
        )
    assert ours == theirs


def test_dkimpy_verifies_our_signature(private_key):
    signer = DkimSigner(domain="acme.example", selector="s1", private_key_pem=private_key)
    raw = message()
    signed = signer.sign(raw) + raw
    assert dkim.verify(signed, dnsfunc=dns_for(private_key))


def test_a_changed_message_no_longer_verifies(private_key):
    signer = DkimSigner(domain="acme.example", selector="s1", private_key_pem=private_key)
    signed = signer.sign(message()) + message("Changed subject")
    assert not dkim.verify(signed, dnsfunc=dns_for(private_key))


def test_the_unsubscribe_headers_are_covered(private_key):
    header = DkimSigner(domain="acme.example", selector="s1", private_key_pem=private_key).sign(
        message()
    )
    tags = dict(part.strip().split("=", 1) for part in header.decode().split(":", 1)[1].split(";"))
    covered = [h.strip() for h in "".join(tags["h"].split()).split(":")]
    assert "list-unsubscribe" in covered and "list-unsubscribe-post" in covered
    assert tags["a"] == "rsa-sha256"


def test_the_dns_record_is_what_receivers_expect(private_key):
    record = public_key_record(private_key)
    assert record.startswith("v=DKIM1; k=rsa; p=MII")
    assert " " not in record.split("p=")[1]


def test_time_is_the_signing_time(private_key):
    signer = DkimSigner(domain="acme.example", selector="s1", private_key_pem=private_key)
    with time_machine.travel(1_800_000_000, tick=False):
        header = signer.sign(message())
    assert b"t=1800000000" in header
    assert abs(time.time() - 1_800_000_000) > 1  # travel ended
