import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_theme_persists(client, alice):
    client.force_login(alice)
    assert 'data-theme="system"' in client.get(reverse("dashboard")).content.decode()
    response = client.post(
        reverse("settings_theme"), {"theme": "dark"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    alice.refresh_from_db()
    assert alice.theme == "dark"
    assert 'data-theme="dark"' in client.get(reverse("dashboard")).content.decode()


def test_the_theme_form_works_without_javascript(client, alice):
    client.force_login(alice)
    response = client.post(reverse("settings_theme"), {"theme": "light", "next": "/campaigns/"})
    assert response["Location"] == "/campaigns/"
    response = client.post(
        reverse("settings_theme"), {"theme": "light", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard")


def test_profile_saves_name_timezone_and_language(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("settings_profile"),
        {"name": "Alice A.", "timezone": "Europe/Berlin", "language": "en", "theme": "system"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.name, alice.timezone) == ("Alice A.", "Europe/Berlin")


def test_profile_rejects_an_unknown_timezone(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("settings_profile"),
        {"name": "A", "timezone": "Mars/Olympus", "language": "en", "theme": "system"},
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.timezone == "UTC"


@pytest.mark.parametrize(
    "name", ["dashboard", "campaign_list", "settings_profile", "workspace_members"]
)
def test_pages_need_a_signed_in_user(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_dashboard_counts_connected_mailboxes(client, alice, workspace_a):
    from tests.smtp_accounts.factories import make_mailbox

    client.force_login(alice)
    assert client.get(reverse("dashboard")).context["mailbox_count"] == 0
    make_mailbox(workspace_a)
    body = client.get(reverse("dashboard")).content.decode()
    assert "1 mailbox connected" in body
