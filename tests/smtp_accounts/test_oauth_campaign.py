"""A campaign sends through a mailbox connected with OAuth, and its replies are read back —
XOAUTH2 on the SMTP server and on dovecot, with tokens from the fake provider."""

from __future__ import annotations

import datetime

import imapclient
import pytest
import time_machine

from campaigns.inbox.sync import mailbox_inbox_sync
from campaigns.models import OutboundMessage, Reply
from campaigns.sending.launch import campaign_launch
from smtp_accounts.models import Mailbox
from tests.campaigns import inbound_mail as mail
from tests.factories import START, build, run_until

pytestmark = pytest.mark.django_db


def test_a_campaign_goes_out_through_an_oauth_mailbox_and_its_replies_are_read(
    workspace_a, google_oauth, connect_with, oauth_smtp_server, oauth_imap_server_session
):
    mailbox = connect_with("google")
    Mailbox.objects.filter(pk=mailbox.pk).update(
        min_gap_seconds=0, gap_jitter_seconds=0, warmup_enabled=False
    )
    mailbox.refresh_from_db()
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=1)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    sent = list(OutboundMessage.objects.filter(state="sent").order_by("pk"))
    assert len(sent) == 3
    assert len(oauth_smtp_server.received) == 3
    assert oauth_smtp_server.xoauth2_logins  # signed in with the token, no password

    server = oauth_imap_server_session
    with imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False) as imap:
        imap.login(server.username, server.password)
        imap.select_folder("INBOX")
        imap.delete_messages(imap.search("ALL"))
        imap.expunge()
        imap.append("INBOX", mail.gmail_reply(sent[0]))
    mailbox_inbox_sync(mailbox_id=mailbox.pk)
    reply = Reply.objects.get()
    assert reply.message == sent[0]
    assert reply.kind == "reply"
