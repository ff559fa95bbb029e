"""The fast address check agrees with email-validator on every input."""

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.leads.addresses import normalize_address

ATOM = st.text(alphabet="abcXYZ019.-_+'!#@ äé", min_size=0, max_size=12)
LABEL = st.text(alphabet="abcxyz09-ÄÖ", min_size=0, max_size=8)


@settings(max_examples=500)
@given(
    ATOM, st.lists(LABEL, min_size=1, max_size=3), st.sampled_from(["com", "de", "test", "x", "例"])
)
@example("a", ["localhost"], "localhost")
@example("a", ["x" * 64], "com")
@example("x" * 65, ["b"], "com")
def test_the_fast_path_agrees_with_email_validator(local, labels, tld):
    address = f"{local}@{'.'.join([*labels, tld])}"
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        expected = None
    try:
        ours = normalize_address(address)
    except EmailNotValidError:
        ours = None
    assert ours == expected


@pytest.mark.parametrize("address", ["ana@Example.COM", "A.B+tag@sub.example.org"])
def test_plain_addresses_keep_the_local_part_and_lower_the_domain(address):
    local, _at, domain = address.partition("@")
    assert normalize_address(address) == f"{local}@{domain.lower()}"
