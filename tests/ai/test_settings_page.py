"""Settings → AI: who answers, a write-only key checked when saved, budgets, labels, a test."""

import pytest
from django.db import connection
from django.urls import reverse

from ai.models import AISettings, CustomLabel, ProviderKey, Usage

pytestmark = pytest.mark.django_db
KEY = "sk-proj-alice-0123456789abcdefghij"


def form(**overrides):
    data = {"provider": "openai", "openai_model": "gpt-4o-mini", "monthly_call_budget": "500",
            "per_minute_limit": "10", "openai_key": KEY}  # fmt: skip
    return {**data, **overrides}


def test_with_no_key_the_page_says_the_offline_rules_answer(client, alice):
    client.force_login(alice)
    page = client.get(reverse("ai_settings")).content.decode()
    assert 'data-answering="local"' in page
    assert "nothing is sent anywhere" in page


def test_the_page_says_gemini_answers_when_the_operator_set_it_up(client, alice, fake_gemini):
    client.force_login(alice)
    assert 'data-answering="gemini"' in client.get(reverse("ai_settings")).content.decode()


def test_a_key_is_checked_with_one_call_then_stored_encrypted(client, alice, fake_openai):
    client.force_login(alice)
    response = client.post(reverse("ai_settings"), form())
    assert response.status_code == 302
    assert [(r["method"], r["path"]) for r in fake_openai.requests] == [
        ("GET", "/v1/models/gpt-4o-mini")]  # fmt: skip
    assert ProviderKey.objects.get().secret == KEY
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM ai_providerkey")
        assert KEY not in cursor.fetchone()[0]
    settings_row = AISettings.objects.get()
    assert (settings_row.provider, settings_row.monthly_call_budget) == ("openai", 500)
    page = client.get(reverse("ai_settings")).content.decode()
    assert KEY not in page and 'data-answering="openai"' in page


def test_a_refused_key_is_not_saved_and_the_form_says_why(client, alice, fake_openai):
    fake_openai.fail(401)
    client.force_login(alice)
    response = client.post(reverse("ai_settings"), form())
    assert response.status_code == 400
    assert "The key was not saved: OpenAI refused the API key." in response.content.decode()
    assert not ProviderKey.objects.exists() and not AISettings.objects.exists()
    assert KEY not in response.content.decode()


def test_choosing_openai_without_a_key_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(reverse("ai_settings"), form(openai_key=""))
    assert response.status_code == 400
    assert "Enter your OpenAI API key" in response.content.decode()


def test_a_member_cannot_change_the_provider(client, bob):
    client.force_login(bob)
    response = client.post(reverse("ai_settings"), form(provider="local", openai_key=""))
    assert response.status_code == 302
    assert not AISettings.objects.exists()


def test_the_test_button_says_who_answered(client, alice, openai_workspace, fake_openai):
    client.force_login(alice)
    response = client.post(reverse("ai_test"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "interested" in html and "answered by <strong>openai</strong>" in html
    assert Usage.objects.get().purpose == "test"


def test_the_test_button_says_when_the_offline_rules_stood_in(client, alice, openai_workspace,
                                                              fake_openai):  # fmt: skip
    fake_openai.fail(401)
    client.force_login(alice)
    html = client.post(reverse("ai_test"), headers={"HX-Request": "true"}).content.decode()
    assert "answered by <strong>local</strong>" in html
    assert "openai failed (auth); the offline rules answered." in html


def test_usage_this_month_is_shown_by_purpose(client, alice, openai_workspace, fake_openai):
    client.force_login(alice)
    client.post(reverse("ai_test"))
    page = client.get(reverse("ai_settings")).content.decode()
    assert "Test and key check" in page and "1 of 2000 remote calls" in page


def test_a_custom_label_is_added_and_only_its_workspace_can_delete_it(client, alice, charlie):
    client.force_login(alice)
    client.post(
        reverse("ai_label_add"), {"name": "referral", "description": "Points to a colleague"}
    )
    label = CustomLabel.objects.get()
    client.force_login(charlie)
    assert client.post(reverse("ai_label_delete", args=[label.pk])).status_code == 404
    client.force_login(alice)
    client.post(reverse("ai_label_delete", args=[label.pk]))
    assert not CustomLabel.objects.exists()


def test_a_built_in_label_cannot_be_added_again(client, alice):
    client.force_login(alice)
    response = client.post(reverse("ai_label_add"), {"name": "interested", "description": "x"})
    assert response.status_code == 400
    assert "built in already" in response.content.decode()
