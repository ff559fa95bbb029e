"""A signed-up owner with a mailbox on the test sink and a campaign that may send all day."""

import datetime
import re

import time_machine
from django.core import mail

from accounts.services import workspace_create
from campaigns.sending.dispatch import dispatch_tick
from tests.conftest import PASSWORD, first_link, make_user
from tests.factories import build, sink_mailbox


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


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")


def sign_up_and_verify(page, base, *, name: str, email: str) -> None:
    """Sign up through the form, open the verification link from the outbox, confirm: signed in
    on the dashboard."""
    page.goto(base + "/accounts/signup/")
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.check("input[name=age_confirmed]")
    page.check("input[name=accept_terms]")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))
    [verification] = mail.outbox
    page.goto(first_link(verification.body))
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
