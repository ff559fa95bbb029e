"""The privacy policy prints the periods the purge enforces, and the cookies the code sets."""

import re

import pytest
from django.urls import reverse

from privacy import retention

pytestmark = pytest.mark.django_db


def _row(body: str, key: str) -> str:
    match = re.search(rf'<tr id="retention-{key}">(.*?)</tr>', body, re.S)
    assert match, f"no row for {key}"
    return match.group(1)


def test_the_policy_lists_every_enforced_rule_with_its_period_from_the_registry(client):
    body = client.get(reverse("privacy_policy")).content.decode()
    for rule in retention.public_rules():
        row = _row(body, rule.key)
        assert f">{rule.period}<" in row
        assert str(rule.data).split(" (")[0].replace("'", "&#x27;") in row
    assert {"12 months", "24 months", "30 days"} <= {
        str(rule.period) for rule in retention.public_rules()
    }


def test_a_rule_whose_model_is_not_installed_is_not_promised(client):
    not_installed = [rule for rule in retention.RULES if not rule.installed]
    body = client.get(reverse("privacy_policy")).content.decode()
    for rule in not_installed:
        assert f'id="retention-{rule.key}"' not in body


def test_the_policy_names_the_contact_address_and_the_right_to_complain(client, settings):
    settings.PRIVACY_CONTACT_EMAIL = "dpo@operator.example"
    body = client.get(reverse("privacy_policy")).content.decode()
    assert 'href="mailto:dpo@operator.example"' in body
    assert "supervisory authority" in body


def test_the_policy_lists_the_session_and_csrf_cookies_by_their_configured_names(client, settings):
    settings.SESSION_COOKIE_NAME = "postigo_session"
    body = client.get(reverse("privacy_policy")).content.decode()
    assert "<code>postigo_session</code>" in body
    assert f"<code>{settings.CSRF_COOKIE_NAME}</code>" in body


def test_cookies_an_operator_adds_are_listed_as_third_party(client, settings):
    settings.PRIVACY_EXTRA_COOKIES = [
        {"name": "_pk_id", "purpose": "Matomo analytics", "lifetime": "13 months"}
    ]
    body = client.get(reverse("privacy_policy")).content.decode()
    assert "<code>_pk_id</code>" in body
    assert "(third party)" in body


def test_signing_in_and_using_the_app_sets_only_the_cookies_the_policy_lists(client, alice):
    from privacy.policies import cookies
    from tests.conftest import PASSWORD

    client.get(reverse("account_login"))
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    for name in ("dashboard", "settings_profile", "workspace_members", "privacy_policy"):
        client.get(reverse(name))
    assert set(client.cookies) <= {cookie.name for cookie in cookies()}
    assert client.cookies  # it did sign in: there is a session


def test_the_retention_table_in_the_docs_is_the_registry():
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "PRIVACY.md").read_text()
    start = text.index("<!-- retention-table:start -->\n") + len("<!-- retention-table:start -->\n")
    end = text.index("\n<!-- retention-table:end -->")
    assert text[start:end] == retention.markdown_table()
