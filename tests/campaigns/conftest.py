import pytest

from tests.smtp_accounts.factories import make_mailbox


@pytest.fixture
def mailbox(workspace_a, smtp_server):
    return make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
        min_gap_seconds=0,
        gap_jitter_seconds=0,
        warmup_enabled=False,
        daily_cap=1000,
        hourly_cap=1000,
    )
