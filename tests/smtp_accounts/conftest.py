import pytest

from tests.factories import make_mailbox


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
