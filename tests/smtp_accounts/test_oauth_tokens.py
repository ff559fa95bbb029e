"""OAuth tokens in use: refreshed shortly before expiry (once, even with two workers at once),
a revoked grant pausing the mailbox and forgotten at once, an outage retried without pausing,
Disconnect revoking at the provider, and tokens absent from logs and exports."""

from __future__ import annotations

import datetime
import io
import logging
import threading

import imapclient
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from smtp_accounts.background import BackgroundSender
from smtp_accounts.connection import check_smtp
from smtp_accounts.imap_sync import SyncError, mailbox_sync
from smtp_accounts.models import Mailbox, OAuthToken, SendLog
from smtp_accounts.oauth.tokens import oauth_access_token
from smtp_accounts.privacy import MailboxShredder
from smtp_accounts.replies import Outcome
from smtp_accounts.services import mailbox_send_batch
from tests.conftest import dump_every_table
from tests.factories import outgoing

pytestmark = pytest.mark.django_db


def expire_soon(mailbox: Mailbox, provider) -> None:
    """The access token is about to expire (and the provider already considers it dead)."""
    OAuthToken.objects.filter(mailbox=mailbox).update(
        expires_at=timezone.now() + datetime.timedelta(seconds=30)
    )
    provider.expire_access_tokens()


def test_a_fresh_token_is_used_as_it_is(google_oauth, connect_with, oauth_smtp_server):
    mailbox = connect_with("google")
    [result] = mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    assert result.outcome is Outcome.SENT
    assert google_oauth.refreshes == 0


def test_a_token_about_to_expire_is_refreshed_before_the_send(
    google_oauth, connect_with, oauth_smtp_server
):
    mailbox = connect_with("google")
    old = OAuthToken.objects.get(mailbox=mailbox).access_token
    expire_soon(mailbox, google_oauth)
    [result] = mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    assert result.outcome is Outcome.SENT
    assert google_oauth.refreshes == 1
    grant = OAuthToken.objects.get(mailbox=mailbox)
    assert grant.access_token != old
    assert grant.expires_at > timezone.now() + datetime.timedelta(minutes=50)


def test_a_campaign_batch_signs_in_with_the_token_from_the_smtp_helper_process(
    google_oauth, connect_with, oauth_smtp_server
):
    mailbox = connect_with("google")
    expire_soon(mailbox, google_oauth)
    with BackgroundSender(Mailbox.objects.get(pk=mailbox.pk)) as smtp:
        smtp.send(outgoing(1)[0])
        [result] = list(smtp.finish())
    assert result.outcome is Outcome.SENT, result.response
    assert google_oauth.refreshes == 1
    assert oauth_smtp_server.received


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_refresh_once(microsoft_oauth, connect_with):
    """Microsoft rotates refresh tokens: a second refresh with the old one would lose the grant.
    (PostgreSQL, as CI runs it: SQLite's in-memory test database locks tables instead of
    waiting, unlike its file database in production.)"""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are exercised on PostgreSQL (CI); set DATABASE_URL")
    mailbox = connect_with("microsoft")
    expire_soon(mailbox, microsoft_oauth)
    microsoft_oauth.token_delay = 0.5  # both workers are inside the refresh window together
    tokens, errors = [], []

    def worker():
        try:
            tokens.append(oauth_access_token(mailbox=Mailbox.objects.get(pk=mailbox.pk)))
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert microsoft_oauth.refreshes == 1
    assert len(set(tokens)) == 1
    assert OAuthToken.objects.filter(mailbox=mailbox).exists()


def test_a_revoked_grant_pauses_the_mailbox_deletes_its_tokens_and_tells_the_workspace(
    google_oauth, connect_with, oauth_smtp_server, alice, django_capture_on_commit_callbacks
):
    mailbox = connect_with("google")
    google_oauth.revoke_account("sender@acme.example")
    expire_soon(mailbox, google_oauth)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the email leaves on commit
        [result] = mailbox_send_batch(
            mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1)
        )
    assert result.outcome is Outcome.MAILBOX
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_ERROR
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()
    note = Notification.objects.get(workspace=mailbox.workspace)
    assert "Reconnect" in note.body
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Reconnect" in mail.outbox[0].body


def test_a_grant_revoked_while_its_access_token_is_still_valid_is_found_out_at_sign_in(
    google_oauth, connect_with, oauth_smtp_server
):
    mailbox = connect_with("google")
    google_oauth.revoke_account("sender@acme.example")  # the provider kills its tokens too
    [result] = mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    assert result.outcome is Outcome.MAILBOX and result.code == 535
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_ERROR
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()  # refresh said invalid_grant


def test_a_provider_outage_is_retried_without_pausing(
    google_oauth, connect_with, oauth_smtp_server
):
    mailbox = connect_with("google")
    expire_soon(mailbox, google_oauth)
    google_oauth.outage = True
    [result] = mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    assert result.outcome is Outcome.TEMPORARY
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.ACTIVE
    assert OAuthToken.objects.filter(mailbox=mailbox).exists()
    google_oauth.outage = False
    [again] = mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    assert again.outcome is Outcome.SENT


def test_reconnect_keeps_the_mailbox_its_history_and_limits(
    client, google_oauth, connect_with, consent, oauth_smtp_server
):
    mailbox = connect_with("google")
    Mailbox.objects.filter(pk=mailbox.pk).update(daily_cap=77)
    mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    google_oauth.revoke_account("sender@acme.example")
    expire_soon(mailbox, google_oauth)
    mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert "data-reconnect" in page
    start = client.post(reverse("mailbox_oauth_reconnect", args=[mailbox.pk]))
    assert "login_hint=sender%40acme.example" in start["Location"]
    client.get(consent(start["Location"]))
    again = Mailbox.objects.get(pk=mailbox.pk)
    assert again.status == Mailbox.Status.ACTIVE
    assert again.daily_cap == 77
    assert SendLog.objects.filter(mailbox=again).count() == 2
    assert OAuthToken.objects.filter(mailbox=again).exists()


def test_reconnecting_as_another_account_is_refused(client, google_oauth, connect_with, consent):
    mailbox = connect_with("google")
    start = client.post(reverse("mailbox_oauth_reconnect", args=[mailbox.pk]))
    response = client.get(consent(start["Location"], login="someone.else@acme.example"))
    assert response.status_code == 400
    assert b"Sign in as sender@acme.example" in response.content


def test_disconnect_revokes_at_google_and_deletes_the_tokens_at_once(
    client, google_oauth, connect_with
):
    mailbox = connect_with("google")
    response = client.post(reverse("mailbox_oauth_disconnect", args=[mailbox.pk]), follow=True)
    assert b"revoked the access" in response.content
    assert google_oauth.revocations == 1
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()
    mailbox.refresh_from_db()
    assert mailbox.status == Mailbox.Status.PAUSED_BY_USER  # kept, with its history


def test_disconnect_at_microsoft_deletes_the_tokens_and_says_it_cannot_revoke(
    client, microsoft_oauth, connect_with
):
    mailbox = connect_with("microsoft")
    response = client.post(reverse("mailbox_oauth_disconnect", args=[mailbox.pk]), follow=True)
    assert b"Microsoft offers no way" in response.content
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()


def test_charlie_cannot_reconnect_or_disconnect_alices_mailbox(
    client, charlie, google_oauth, connect_with
):
    mailbox = connect_with("google")
    client.force_login(charlie)
    for name in ("mailbox_oauth_reconnect", "mailbox_oauth_disconnect"):
        assert client.post(reverse(name, args=[mailbox.pk])).status_code == 404
    assert OAuthToken.objects.filter(mailbox=mailbox).exists()


def test_the_token_is_only_sent_to_its_providers_own_mail_host(
    google_oauth, connect_with, oauth_smtp_server, smtp_server
):
    mailbox = connect_with("google")
    Mailbox.objects.filter(pk=mailbox.pk).update(smtp_port=smtp_server.port)  # another server
    result = check_smtp(Mailbox.objects.get(pk=mailbox.pk))
    assert not result.ok and result.stage == "auth"
    assert smtp_server.auth_attempts == []


def test_replies_are_read_over_imap_with_the_token(
    google_oauth, connect_with, oauth_imap_server_session
):
    server = oauth_imap_server_session
    with imapclient.IMAPClient("127.0.0.1", port=server.port, ssl=False) as imap:
        imap.login(server.username, server.password)
        imap.append("INBOX", b"From: lead@example.com\r\nSubject: Re: hi\r\n\r\nYes please\r\n")
    mailbox = connect_with("google")
    seen = []
    result = mailbox_sync(
        Mailbox.objects.get(pk=mailbox.pk),
        lambda batch: seen.extend(raw for raw, _at in batch) or 0,
        since=timezone.now() - datetime.timedelta(days=1),
    )
    assert result.read >= 1
    assert any(b"Yes please" in raw for raw in seen)


def test_tokens_are_absent_from_logs_pages_and_exports(
    client, caplog, google_oauth, connect_with, oauth_smtp_server
):
    caplog.set_level(logging.DEBUG)
    mailbox = connect_with("google")
    expire_soon(mailbox, google_oauth)
    mailbox_send_batch(mailbox=Mailbox.objects.get(pk=mailbox.pk), messages=outgoing(1))
    grant = OAuthToken.objects.get(mailbox=mailbox)
    secrets = [grant.access_token, grant.refresh_token, *google_oauth.access]
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert 'name="smtp_password"' not in page and 'name="smtp_host"' not in page
    own_logs = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")
    )
    table_dump = dump_every_table()
    out = io.StringIO()
    call_command("dumpdata", "smtp_accounts", stdout=out)
    for secret in secrets:
        assert secret not in own_logs
        assert secret not in page
        assert secret not in table_dump
        assert secret not in out.getvalue()


def test_reading_replies_during_a_provider_outage_waits_without_pausing(
    google_oauth, connect_with, oauth_imap_server_session
):
    mailbox = connect_with("google")
    expire_soon(mailbox, google_oauth)
    google_oauth.outage = True
    with pytest.raises(SyncError) as failure:
        mailbox_sync(
            Mailbox.objects.get(pk=mailbox.pk),
            lambda batch: 0,
            since=timezone.now() - datetime.timedelta(days=1),
        )
    assert failure.value.auth is False  # not a reason to pause
    assert OAuthToken.objects.filter(mailbox=mailbox).exists()


def test_reading_replies_with_a_revoked_grant_is_an_auth_failure(
    google_oauth, connect_with, oauth_imap_server_session
):
    mailbox = connect_with("google")
    google_oauth.revoke_account("sender@acme.example")
    expire_soon(mailbox, google_oauth)
    with pytest.raises(SyncError) as failure:
        mailbox_sync(
            Mailbox.objects.get(pk=mailbox.pk),
            lambda batch: 0,
            since=timezone.now() - datetime.timedelta(days=1),
        )
    assert failure.value.auth is True  # the inbox sync pauses the mailbox and tells them
    assert "Reconnect" in str(failure.value)
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()


def test_the_workspace_export_lists_the_oauth_mailbox_without_its_tokens(
    google_oauth, connect_with, workspace_a
):
    mailbox = connect_with("google")
    grant = OAuthToken.objects.get(mailbox=mailbox)
    files = {f.name: list(f.rows) for f in MailboxShredder().export(workspace=workspace_a)}
    [row] = files["mailboxes"]
    assert row["oauth_provider"] == "google"
    exported = repr(files)
    assert grant.access_token not in exported and grant.refresh_token not in exported


def test_closing_the_workspace_revokes_and_deletes_its_oauth_grants(
    google_oauth, connect_with, workspace_a, django_capture_on_commit_callbacks
):
    mailbox = connect_with("google")
    with django_capture_on_commit_callbacks(execute=True):
        MailboxShredder().workspace_closed(workspace=workspace_a)
        assert google_oauth.revocations == 0  # never an HTTP call inside the transaction
    assert not OAuthToken.objects.filter(mailbox=mailbox).exists()
    assert google_oauth.revocations == 1
    assert Mailbox.objects.get(pk=mailbox.pk).status == Mailbox.Status.PAUSED_BY_USER


def test_a_closing_that_rolls_back_revokes_nothing(
    google_oauth, connect_with, workspace_a, django_capture_on_commit_callbacks
):
    from django.db import transaction

    mailbox = connect_with("google")
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        MailboxShredder().workspace_closed(workspace=workspace_a)
        raise RuntimeError("the closing failed after the shredder ran")
    assert callbacks == []
    assert OAuthToken.objects.filter(mailbox=mailbox).exists()
    assert google_oauth.revocations == 0
