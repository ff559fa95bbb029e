"""`make run`'s demo data: a user, and a campaign that really goes out through the catcher."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

import postigo.urls  # noqa: F401  (imported with DEBUG off: no dev URLs for later tests)
from accounts.models import User
from campaigns.models import Campaign, OutboundMessage
from campaigns.sending.launch import campaign_launch, launch_problems
from postigo.mailcatcher import MailCatcher
from smtp_accounts.connection import check_smtp
from smtp_accounts.models import Mailbox
from tests.factories import free_port, run_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEBUG = True  # as make run has it, with what follows from it:
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = settings.MAILBOX_ALLOW_PLAINTEXT = True
    settings.VAR_DIR = tmp_path
    start = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    return Campaign.objects.get(), start


def test_it_seeds_once(demo, settings):
    campaign, _start = demo
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.count() == Campaign.objects.count() == Mailbox.objects.count() == 1
    user = User.objects.get()
    assert (settings.VAR_DIR / "demo-credentials.txt").read_text().split()[0] == user.email
    assert campaign.status == Campaign.Status.DRAFT
    assert launch_problems(campaign) == []  # ready to launch as it is


def test_a_demo_seeded_before_the_demo_pacing_gets_it(demo):
    campaign, _start = demo
    Campaign.objects.update(launch_spread_seconds=3600)  # as the migration left it
    call_command("seed_demo", stdout=io.StringIO())
    assert Campaign.objects.get().launch_spread_seconds == 30


def test_the_demo_mailbox_follows_the_mail_catcher_when_its_port_moves(demo, settings):
    mailbox = Mailbox.objects.get()
    assert mailbox.smtp_port == settings.MAIL_CATCHER_PORT
    assert mailbox.imap_port == settings.MAIL_CATCHER_IMAP_PORT
    settings.MAIL_CATCHER_PORT = 2526  # 1025 was taken: make run picked another port
    settings.MAIL_CATCHER_IMAP_PORT = 2144  # and 1143 too
    call_command("seed_demo", stdout=io.StringIO())
    mailbox = Mailbox.objects.get()
    assert (mailbox.smtp_port, mailbox.imap_port) == (2526, 2144)
    assert mailbox.smtp_secret_matches() and mailbox.imap_secret_matches()


def test_the_demo_campaign_goes_out_through_the_mail_catcher(demo, tmp_path):
    campaign, start = demo
    port = free_port()
    mailbox = Mailbox.objects.get()
    mailbox.smtp_port = port  # the catcher of this test, not make run's
    mailbox.bind_secrets()  # as if its password were typed in again for this server
    mailbox.save()
    controller = MailCatcher(mail_dir=tmp_path / "mail", smtp_port=port)
    controller.start()
    try:
        assert check_smtp(Mailbox.objects.get()).ok  # the login the catcher accepts
        with time_machine.travel(start, tick=False):
            enrolled = campaign_launch(campaign=campaign)
        # Every lead is due within the first hour; the mailbox spaces its sends 20-30 s apart.
        for seconds in range(3660, 3660 + 24 * 30 + 300, 15):
            run_until(start + datetime.timedelta(seconds=seconds))
    finally:
        controller.stop()
    assert enrolled == 24
    assert OutboundMessage.objects.filter(state="sent").count() == 24
    caught = [path.read_text() for path in (tmp_path / "mail").glob("*.eml")]
    assert len(caught) == 24
    assert all("From: Alex Demo <alex@postigo.localhost>" in mail for mail in caught)
    assert any("Subject: " in mail and "Blue Fjord" in mail for mail in caught)
