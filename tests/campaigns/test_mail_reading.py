"""Reading incoming mail: the sender's address, on the fast path and the full parser's."""

import email
from email import policy
from email.utils import getaddresses

from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.mail_reading import header, sender


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
