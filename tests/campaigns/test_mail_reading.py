"""Reading incoming mail: the sender's address, on the fast path and the full parser's."""

import email
from email import policy
from email.utils import getaddresses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.inbox.mail_reading import bodies, header, new_text, sender


def _full_parser(parsed) -> str:
    """What `sender` answered before it had a fast path: the email package's parser."""
    for name in ("Reply-To", "From"):
        addresses = [a for _n, a in getaddresses([header(parsed, name)]) if "@" in a]
        if addresses:
            return addresses[0].strip().lower()[:254]
    return ""


def _mail(**headers: str):
    text = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return email.message_from_string(text + "\r\nbody\r\n", policy=policy.compat32)


_local = st.from_regex(r"[A-Za-z0-9._%+'-]{1,20}", fullmatch=True)
_domain = st.from_regex(r"[a-z0-9-]{1,15}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_name = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
_local_any = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    name=_name,
    local=st.one_of(_local, _local_any),
    domain=_domain,
    bare=st.booleans(),
    reply_to=st.booleans(),
)
@example(name='"Bob <evil@x.example>"', local="bob", domain="real.example", bare=False,
         reply_to=False)  # fmt: skip
@example(name="Lena, Vogel", local="lena", domain="x.example", bare=False, reply_to=True)
def test_the_fast_path_agrees_with_the_full_parser(name, local, domain, bare, reply_to):
    address = f"{local}@{domain}"
    value = address if bare else f"{name} <{address}>"
    parsed = _mail(**({"Reply_To": value} if reply_to else {}), From="Other <o@other.example>")
    assert sender(parsed) == _full_parser(parsed)


def test_encoded_and_grouped_headers_take_the_full_parser():
    parsed = _mail(From="=?utf-8?q?L=C3=A9na?= <Lena@X.example>")
    assert sender(parsed) == "lena@x.example"
    parsed = _mail(From="a@x.example, b@y.example")
    assert sender(parsed) == "a@x.example"
    parsed = _mail(Reply_To="undisclosed-recipients:;", From="Lena <lena@x.example>")
    assert sender(parsed) == "lena@x.example"


@pytest.mark.parametrize(
    "written",
    [
        "=?\u00e9t\u00e9?q?Lena?= <lena@x.example>",  # a charset name that is not ASCII
        "=?utf-8?q?L=C3=A9na?= =?no-such-charset?q?x?= <lena@x.example>",
        "=?utf-8?b?not base64!?= <lena@x.example>",
    ],
)
def test_a_broken_encoded_word_is_read_as_written(written):
    """The inbound fuzz test found the first: the email package refuses it with a CharsetError,
    which stopped the whole batch's matching."""
    parsed = email.message_from_string(f"From: {written}\n\nhi\n", policy=policy.compat32)
    assert "lena@x.example" in header(parsed, "From").lower()
    assert sender(parsed) == "lena@x.example"


@pytest.mark.parametrize("charset", ["\x00", "utf\x00-8", "x-no-such", "utf-8\u00e9"])
def test_a_body_in_a_charset_that_cannot_be_named_is_read_as_utf8(charset):
    parsed = email.message_from_bytes(
        f'Content-Type: text/plain; charset="{charset}"\n\nGr\u00fc\u00dfe'.encode(),
        policy=policy.compat32,
    )
    assert bodies(parsed)[0] == "Gr\u00fc\u00dfe"


# --- the new text of a reply ----------------------------------------------------------------
# mail-parser-reply finds quoted history with patterns whose cost grows with the square of a
# line's length: one 90,000-character line of "On On On …" took three minutes. Anyone who can
# answer a campaign can send that; the inbox worker must not stall on it.


@pytest.mark.timeout(30)  # without the guard this takes minutes, not a slower pass
@pytest.mark.parametrize(
    "hostile",
    [
        "On " * 30_000 + "wrote",
        "On Mon, Jan 1, 2026 at 10:00 " * 3_000,
        "On \n" * 50_000,
        "\n" * 100_000,
        "\n \t\n" * 30_000,
    ],
)
def test_pathological_text_does_not_stall_the_reader(hostile):
    reply = f"Happy to talk next week.\n\n{hostile}\n\nOn Tue, Nov 24, 2026 Alice wrote:\n> Hi"
    assert new_text(reply).startswith("Happy to talk next week.")


def test_long_lines_are_kept_whole_and_the_history_still_found():
    paragraph = "We looked at the proposal in detail and " * 100  # one unwrapped line
    reply = (
        f"{paragraph}\nThanks!\n\n"
        "On Tue, Nov 24, 2026 at 11:00 AM Alice from Acme <sender@acme.example> wrote:\n"
        "> Hi Lena,\n> A short note about our idea.\n"
    )
    assert new_text(reply) == f"{paragraph.strip()}\nThanks!"
