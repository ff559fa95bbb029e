"""Recipients' data stays home (DESIGN invariant 5): proved on the text and at the wire."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai.classifier import reply_refine
from ai.content_filter import content_check
from ai.redaction import Redactor
from ai.writer import Brief, copy_write

LEAD = {
    "first_name": "Margarethe",
    "last_name": "Van der Berg",
    "email": "margarethe.vdberg@hollandfoods.nl",
    "phone": "+31 20 555 0199",
    "company": "Holland Foods",
    "website": "hollandfoods.nl",
    "custom_city": "Zaandam",
}
REPLY = (
    "Hi, Margarethe here from Holland Foods. Yes, interested — call me on +31 20 555 0199 or "
    "write to margarethe.vdberg@hollandfoods.nl; my colleague piet@example.org too. We are in "
    "Zaandam. Tracking link was https://hollandfoods.nl/offer?lead=8812&utm=x\n"
    "-- \nMargarethe Van der Berg | Holland Foods | (020) 555-0142"
)
OTHER_CONTACTS = ["piet@example.org", "(020) 555-0142", "lead=8812"]


def leaked(bodies: list[str]) -> list[str]:
    """Every lead value or contact detail of the test data found in any recorded body."""
    values = [*LEAD.values(), *OTHER_CONTACTS]
    return [v for v in values for body in bodies if v.lower() in body.lower()]


def test_known_values_addresses_phones_and_queries_become_placeholders():
    redactor = Redactor(LEAD.values())
    text = redactor.redact(REPLY)
    assert leaked([text]) == []
    assert "[LEAD_1]" in text and "[EMAIL_1]" in text and "[PHONE_1]" in text
    assert "https://[LEAD_" in text or "?[QUERY_1]" in text


def test_the_same_value_gets_the_same_placeholder():
    redactor = Redactor(["Holland Foods"])
    assert redactor.redact("Holland Foods and holland foods") == "[LEAD_1] and [LEAD_1]"


def test_merge_fields_and_spintax_are_not_data():
    text = "{Hi|Hello} {{first_name|there}}, call +1 415 555 0100"
    assert Redactor(["there"]).redact(text) == "{Hi|Hello} {{first_name|there}}, call [PHONE_1]"


def test_placeholders_are_restored_in_an_answer():
    redactor = Redactor()
    redacted = redactor.redact("Call me at +44 20 7946 0958 or mail ann@ourco.example")
    answer = redacted.replace("Call me", "Ring us")
    assert redactor.restore(answer) == "Ring us at +44 20 7946 0958 or mail ann@ourco.example"


def test_prices_dates_and_short_numbers_are_left_alone():
    text = "Plans from $49/month, 30-day trial, launch on 2026-03-12, 12 seats."
    assert Redactor().redact(text) == text


names = st.text(alphabet=st.characters(categories=["L"]), min_size=3, max_size=20)


@settings(max_examples=150, deadline=None)
@given(first=names, company=names, filler=st.text(max_size=80))
def test_no_known_value_survives_redaction(first, company, filler):
    redactor = Redactor([first, company])
    text = redactor.redact(f"{filler} {first} works at {company}. {filler}")
    for value in (first, company):
        assert f" {value} " not in f" {text} ".replace(".", " ")


@pytest.fixture(params=["openai", "gemini"])
def remote(request, workspace_a):
    """Workspace A answered by each fake provider in turn; returns that server."""
    if request.param == "openai":
        request.getfixturevalue("openai_workspace")
        return request.getfixturevalue("fake_openai")
    return request.getfixturevalue("fake_gemini")


def test_classification_sends_no_recipient_data(remote, workspace_a):
    verdict = reply_refine(workspace=workspace_a, text=REPLY, subject="Re: Holland Foods",
                           known_values=LEAD.values())  # fmt: skip
    assert verdict is not None
    assert remote.bodies and leaked(remote.bodies) == []


def test_content_filtering_sends_no_recipient_data(remote, workspace_a):
    verdict = content_check(subject="Hello Margarethe", body=REPLY, workspace=workspace_a,
                            known_values=LEAD.values())  # fmt: skip
    assert verdict.provider == remote.kind
    assert remote.bodies and leaked(remote.bodies) == []


def test_writing_sends_no_contact_data_and_restores_it_in_the_copy(remote, workspace_a):
    brief = Brief(offer="Dutch food logistics, call +31 20 555 0199",
                  audience="grocers; reply to margarethe.vdberg@hollandfoods.nl")  # fmt: skip
    copy, _ = copy_write(workspace=workspace_a, brief=brief)
    assert leaked(remote.bodies) == []
    assert "+31 20 555 0199" in copy.body and "margarethe.vdberg@hollandfoods.nl" in copy.body
