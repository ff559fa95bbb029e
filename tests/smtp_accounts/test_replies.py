import pytest
from hypothesis import given
from hypothesis import strategies as st

from smtp_accounts.replies import Outcome, enhanced_status, smtp_reply_outcome


@pytest.mark.parametrize(
    ("code", "text", "outcome"),
    [
        (250, "2.0.0 Ok: queued as 4BqF2", Outcome.SENT),
        (451, "4.3.0 Temporary server error, try again", Outcome.TEMPORARY),
        (421, "4.4.2 Connection dropped", Outcome.TEMPORARY),
        (
            450,
            "4.2.1 The user you are trying to contact is receiving mail too quickly",
            Outcome.TEMPORARY,
        ),
        (550, "5.1.1 <x@y.example>: Recipient address rejected: User unknown", Outcome.HARD_BOUNCE),
        (550, "Requested action not taken: mailbox unavailable", Outcome.HARD_BOUNCE),
        (553, "5.1.3 Invalid recipient address syntax", Outcome.HARD_BOUNCE),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found", Outcome.HARD_BOUNCE),
        (551, "User not local", Outcome.HARD_BOUNCE),
        (552, "5.3.4 Message size exceeds fixed limit", Outcome.REJECTED),
        (554, "5.6.0 Message content rejected", Outcome.REJECTED),
        (535, "5.7.8 Username and Password not accepted", Outcome.MAILBOX),
        (530, "5.7.0 Authentication Required", Outcome.MAILBOX),
        (550, "5.7.1 Message rejected as spam by Content Filtering", Outcome.MAILBOX),
        (
            421,
            "4.7.0 Our system has detected an unusual rate of mail from your account",
            Outcome.MAILBOX,
        ),
        (554, "5.7.1 Service unavailable; Client host blocked using Spamhaus", Outcome.MAILBOX),
        (550, "5.4.5 Daily user sending quota exceeded", Outcome.MAILBOX),
    ],
)
def test_real_replies_are_classified(code, text, outcome):
    assert smtp_reply_outcome(code, text) is outcome


def test_enhanced_status_is_read_from_the_text():
    assert enhanced_status("5.1.1 <a@b>: User unknown") == (5, 1, 1)
    assert enhanced_status("<a@b> 5.7.8 bad") == (5, 7, 8)
    assert enhanced_status("no code here") is None


@given(st.integers(), st.text())
def test_it_never_crashes_and_always_answers(code, text):
    assert smtp_reply_outcome(code, text) in Outcome


@given(st.integers(200, 299), st.text())
def test_every_2xx_is_sent(code, text):
    assert smtp_reply_outcome(code, text) is Outcome.SENT


@given(st.integers(400, 499), st.text().filter(lambda t: "4.7." not in t and "5." not in t[:8]))
def test_4xx_without_a_policy_code_is_temporary(code, text):
    assert smtp_reply_outcome(code, text) is Outcome.TEMPORARY


@given(st.sampled_from([550, 551, 553]), st.text())
def test_a_5_1_x_status_is_always_a_hard_bounce(code, tail):
    assert smtp_reply_outcome(code, f"5.1.1 {tail}") is Outcome.HARD_BOUNCE


@given(st.text())
def test_authentication_failures_pause_the_mailbox(text):
    assert smtp_reply_outcome(535, text) is Outcome.MAILBOX
