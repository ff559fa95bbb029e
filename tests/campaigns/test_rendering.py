"""The MIME writer: whatever the text, a mail reader gets back exactly what was rendered."""

import email
from email import policy

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.authoring.rendering import build_mime
from smtp_accounts.models import Mailbox

# Any text a template can render (NUL excluded: not in email text); header values are one line.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
LINE = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")))


def lines(text: str) -> str:
    """Text as a reader gets it back: line breaks normalised, no trailing ones."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def words(value: str) -> list[str]:
    return value.split()


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def write(**fields) -> bytes:
    mailbox = Mailbox(email="ana@acme.example", from_name=fields.pop("name", "Ana"))
    defaults = {"to": "lead@x.example", "subject": "Hi", "html": "<p>Hi</p>", "text": "Hi"}
    return build_mime(mailbox=mailbox, message_id="<1@acme.example>", **(defaults | fields))


@settings(max_examples=200, deadline=None)
@given(subject=LINE, text=TEXT, html=TEXT, name=LINE)
def test_subject_name_and_both_parts_read_back_exactly(subject, text, html, name):
    raw = write(subject=subject, text=text, html=html, name=name)
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = parse(raw)
    assert words(message["Subject"]) == words(subject)
    if name.strip():
        assert words(message["From"].addresses[0].display_name) == words(name)
    assert lines(message.get_body(("plain",)).get_content()) == lines(text)
    assert lines(message.get_body(("html",)).get_content()) == lines(html)


def test_line_breaks_cannot_inject_headers():
    raw = write(subject="Hi\r\nBcc: victim@x.example", name="Ana\nX-Evil: 1")
    message = parse(raw)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Hi  Bcc: victim@x.example"


def test_a_long_references_chain_is_folded_between_ids():
    ids = " ".join(f"<{n:040d}@acme.example>" for n in range(60))
    raw = write(extra={"References": ids, "In-Reply-To": "<59@acme.example>"})
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert parse(raw)["References"].split() == ids.split()
