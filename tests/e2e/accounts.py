"""A signed-up owner with a mailbox on the test sink and a campaign that may send all day."""

import datetime

import time_machine

from accounts.services import workspace_create
from campaigns.sending.dispatch import dispatch_tick
from tests.campaigns.pipeline import build
from tests.conftest import make_user
from tests.smtp_accounts.factories import sink_mailbox


def owner_with_campaign(smtp_server, *, n: int, steps: int = 2):
    """owner@example.com's workspace "Acme": (mailbox, draft campaign of n leads)."""
    user = make_user("owner@example.com", name="Owner")
    workspace = workspace_create(owner=user, name="Acme")
    mailbox = sink_mailbox(workspace, smtp_server)
    campaign = build(
        workspace,
        mailbox,
        n=n,
        steps=steps,
        window_start=datetime.time(0),
        window_end=datetime.time(23, 59),
    )
    return mailbox, campaign


def dispatch_an_hour_later() -> int:
    """Beat's dispatcher an hour after launch, when every lead's first step is due."""
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(later):
        return dispatch_tick()
