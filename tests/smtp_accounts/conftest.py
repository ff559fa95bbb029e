import pytest

from tests.smtp_accounts.factories import make_mailbox


@pytest.fixture
def mailbox(workspace_a, alice, smtp_server):
    """A mailbox of workspace A that signs in to the test SMTP server."""
    return make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
    )


@pytest.fixture
def consent():
    """The user at the (fake) provider's consent page: follows the authorization URL our app
    redirected to, answers, and returns the callback path (with its query) to request here."""
    import html
    import re
    from urllib.parse import urlsplit

    import requests

    def answer(authorize_url: str, *, login: str = "", decision: str = "allow") -> str:
        page = requests.get(authorize_url, timeout=5)
        page.raise_for_status()
        fields = dict(
            (html.unescape(name), html.unescape(value))
            for name, value in re.findall(
                r'<input type="hidden" name="([^"]*)" value="([^"]*)">', page.text
            )
        )
        fields["login"] = login or re.search(r'name="login" value="([^"]*)"', page.text)[1]
        fields["decision"] = decision
        base = authorize_url.split("/authorize", 1)[0]
        response = requests.post(f"{base}/authorize", data=fields, allow_redirects=False, timeout=5)
        location = urlsplit(response.headers["Location"])
        return f"{location.path}?{location.query}"

    return answer


@pytest.fixture
def connect_with(client, alice, workspace_a, consent):
    """Connect a mailbox of workspace A through the real flow: returns the Mailbox."""
    from django.urls import reverse

    from smtp_accounts.models import Mailbox

    def connect(provider: str = "google") -> Mailbox:
        client.force_login(alice)
        start = client.post(reverse("mailbox_oauth_connect", args=[provider]))
        done = client.get(consent(start["Location"]))
        assert done.status_code == 302, done.content
        return Mailbox.objects.get(email="sender@acme.example", workspace=workspace_a)

    return connect
