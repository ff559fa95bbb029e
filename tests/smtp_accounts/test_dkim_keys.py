import dkim
import pytest
from django.urls import reverse
from django.utils import timezone

from smtp_accounts.models import DkimKey
from smtp_accounts.services import dkim_key_create, mailbox_send_batch
from tests.conftest import dump_every_table
from tests.factories import outgoing

pytestmark = pytest.mark.django_db


def dns_serving(key: DkimKey):
    def lookup(name, timeout=5):
        return key.record_value.encode() if name == f"{key.record_name}.".encode() else None

    return lookup


def test_the_private_key_is_stored_encrypted(workspace_a):
    key = dkim_key_create(workspace=workspace_a, domain="Acme.example")
    assert key.domain == "acme.example"
    assert "PRIVATE KEY" in DkimKey.objects.get().private_key
    assert "PRIVATE KEY" not in dump_every_table()
    assert dkim_key_create(workspace=workspace_a, domain="acme.example").pk == key.pk


def test_mail_is_signed_once_the_key_is_published(mailbox, smtp_server, workspace_a):
    key = dkim_key_create(workspace=workspace_a, domain=mailbox.domain)
    mailbox_send_batch(mailbox=mailbox, messages=outgoing(1))
    assert b"DKIM-Signature" not in smtp_server.received[-1].data  # not published yet

    DkimKey.objects.filter(pk=key.pk).update(verified_at=timezone.now())
    mailbox_send_batch(mailbox=mailbox, messages=outgoing(1, start=1))
    delivered = smtp_server.received[-1].data
    assert delivered.startswith(b"DKIM-Signature: ")
    assert dkim.verify(delivered, dnsfunc=dns_serving(key))


def test_campaign_batches_are_signed_in_the_smtp_helper(mailbox, smtp_server, workspace_a):
    """Campaign batches go through the helper process: the signer travels there (pickled)."""
    from smtp_accounts.background import BackgroundSender
    from smtp_accounts.services import dkim_signer_for

    key = dkim_key_create(workspace=workspace_a, domain=mailbox.domain)
    DkimKey.objects.filter(pk=key.pk).update(verified_at=timezone.now())
    with BackgroundSender(mailbox, signer=dkim_signer_for(mailbox)) as smtp:
        smtp.send(outgoing(1)[0])
        list(smtp.finish())
    delivered = smtp_server.received[-1].data
    assert delivered.startswith(b"DKIM-Signature: ")
    assert dkim.verify(delivered, dnsfunc=dns_serving(key))


def test_the_mailbox_page_creates_a_key_and_shows_the_record(client, alice, mailbox):
    client.force_login(alice)
    client.post(reverse("mailbox_dkim_create", args=[mailbox.pk]))
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    key = DkimKey.objects.get()
    assert f"data-dkim-name>{key.record_name}<" in page
    assert "v=DKIM1; k=rsa; p=MII" in page
    assert "PRIVATE KEY" not in page


def test_charlie_cannot_create_keys_for_workspace_a(client, charlie, mailbox):
    client.force_login(charlie)
    assert client.post(reverse("mailbox_dkim_create", args=[mailbox.pk])).status_code == 404
    assert not DkimKey.objects.exists()
