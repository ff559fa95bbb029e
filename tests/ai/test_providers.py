"""The official SDKs against fake servers: answers, errors, retries within a budget, fallback."""

import json

import pytest

from ai.classifier import reply_refine
from ai.content_filter import content_check
from ai.models import AISettings, Usage
from ai.providers.base import ProviderError
from ai.providers.openai import OpenAIProvider
from ai.services import provider_name_for
from ai.writer import Brief, copy_write

PHISH = "Your account will be closed. Enter your password at http://paypa1-login.com now."


def test_with_no_key_the_local_provider_answers(workspace_a):
    verdict = content_check(subject="Hi", body=PHISH, workspace=workspace_a)
    assert verdict.blocked
    assert verdict.provider == "local"
    assert provider_name_for(workspace_a) == "local"
    assert not Usage.objects.exists()


def test_openai_classifies_a_reply_with_label_confidence_and_reason(openai_workspace, fake_openai):
    verdict = reply_refine(workspace=openai_workspace, text="Interested, can we call Monday?")
    assert (verdict.label, verdict.confidence, verdict.reason) == (
        "interested", 0.91, "Asks for a call.")  # fmt: skip
    usage = Usage.objects.get()
    assert (usage.provider, usage.purpose, usage.model) == (
        "openai", "classify", "gpt-4o-mini-2024-07-18")  # fmt: skip
    assert usage.input_tokens > 0 and usage.output_tokens == 42


def test_openai_is_asked_for_a_strict_json_schema(openai_workspace, fake_openai):
    reply_refine(workspace=openai_workspace, text="Sure, call me.")
    body = json.loads(fake_openai.requests[-1]["raw"])
    assert fake_openai.requests[-1]["path"] == "/v1/chat/completions"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert "interested" in body["response_format"]["json_schema"]["schema"]["properties"][
        "label"]["enum"]  # fmt: skip
    assert (
        fake_openai.requests[-1]["headers"]["authorization"]
        == "Bearer sk-test-alice-0123456789abcdef"
    )


def test_gemini_judges_content_with_a_response_json_schema(gemini_workspace, fake_gemini):
    verdict = content_check(
        subject="Hi", body="Reply with your password.", workspace=gemini_workspace
    )
    assert verdict.blocked and verdict.provider == "gemini"
    request = fake_gemini.requests[-1]
    assert request["path"] == "/v1/models/gemini-2.5-flash:generateContent"
    config = json.loads(request["raw"])["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"]["required"] == ["blocked", "categories", "score", "reason"]


def test_gemini_writes_copy_as_spintax_with_merge_fields(gemini_workspace, fake_gemini):
    brief = Brief(offer="invoicing software", audience="agencies")
    copy, provider = copy_write(workspace=gemini_workspace, brief=brief)
    assert provider == "gemini"
    assert "{{first_name|there}}" in copy.body and "{Hi|Hello}" in copy.body
    assert Usage.objects.get().purpose == "write"


def test_a_429_is_retried_after_the_servers_retry_after(openai_workspace, fake_openai):
    fake_openai.fail(429, retry_after="1")
    verdict = reply_refine(workspace=openai_workspace, text="Interested.")
    assert verdict.label == "interested"
    assert len(fake_openai.requests) == 2
    assert Usage.objects.get().attempts == 2


def test_server_errors_are_retried_then_answered(gemini_workspace, fake_gemini):
    fake_gemini.fail(503, times=2)
    verdict = content_check(subject="Hi", body="Let's talk invoices.", workspace=gemini_workspace)
    assert verdict.provider == "gemini" and not verdict.blocked
    assert Usage.objects.get().attempts == 3


@pytest.mark.parametrize("fault", ["malformed", "refuse"])
def test_malformed_or_refused_answers_are_retried(openai_workspace, fake_openai, fault):
    getattr(fake_openai, fault)()
    assert reply_refine(workspace=openai_workspace, text="Call me.").label == "interested"
    assert Usage.objects.get().attempts == 2


def test_a_provider_that_keeps_failing_falls_back_to_local_and_says_so(gemini_workspace,
                                                                       fake_gemini):  # fmt: skip
    fake_gemini.fail(500, times=3)
    verdict = content_check(subject="Hi", body=PHISH, workspace=gemini_workspace)
    assert verdict.blocked and verdict.provider == "local"
    usage = Usage.objects.get()
    assert (usage.provider, usage.fell_back_from, usage.error, usage.attempts) == (
        "local", "gemini", "server", 3)  # fmt: skip


def test_a_slow_provider_times_out_and_local_answers(openai_workspace, fake_openai):
    fake_openai.slow(1.5, times=3)
    assert reply_refine(workspace=openai_workspace, text="Call me") is None
    assert Usage.objects.get().error == "timeout"


def test_a_refused_key_is_not_retried(openai_workspace, fake_openai):
    fake_openai.fail(401)
    assert reply_refine(workspace=openai_workspace, text="Call me") is None
    assert len(fake_openai.requests) == 1
    assert Usage.objects.get().error == "auth"


def test_a_retry_after_beyond_the_budget_is_not_waited_for(openai_workspace, fake_openai, settings):
    settings.AI_RETRY_BUDGET_SECONDS = 2
    fake_openai.fail(429, retry_after="60")
    assert reply_refine(workspace=openai_workspace, text="Call me") is None
    assert len(fake_openai.requests) == 1
    assert Usage.objects.get().error == "rate_limited"


def test_the_monthly_budget_stops_remote_calls(openai_workspace, fake_openai):
    AISettings.objects.filter(workspace=openai_workspace).update(monthly_call_budget=1)
    reply_refine(workspace=openai_workspace, text="Call me")
    assert reply_refine(workspace=openai_workspace, text="Call me") is None
    assert len(fake_openai.requests) == 1
    assert Usage.objects.latest("id").error == "budget"


def test_the_per_minute_limit_stops_remote_calls(openai_workspace, fake_openai):
    AISettings.objects.filter(workspace=openai_workspace).update(per_minute_limit=2)
    for _ in range(3):
        reply_refine(workspace=openai_workspace, text="Call me")
    assert len(fake_openai.requests) == 2
    assert Usage.objects.latest("id").error == "rate_limit"


def test_writing_without_a_remote_provider_is_a_clear_error(workspace_a):
    with pytest.raises(ProviderError, match="No AI provider"):
        copy_write(workspace=workspace_a, brief=Brief(offer="x", audience="y"))


def test_a_key_is_checked_with_one_cheap_call(fake_openai):
    OpenAIProvider(api_key="sk-x", model="gpt-4o-mini").verify()
    assert [(r["method"], r["path"]) for r in fake_openai.requests] == [
        ("GET", "/v1/models/gpt-4o-mini")]  # fmt: skip
