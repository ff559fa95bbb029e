import base64
import io
import os

import pytest
from django.core.management import call_command

from smtp_accounts.models import Mailbox
from tests.conftest import dump_every_table
from tests.factories import make_mailbox

pytestmark = pytest.mark.django_db

PLAINTEXTS = ["s3cret-smtp-Passw0rd", "imap-Only-p4ss"]


def test_no_plaintext_password_reaches_the_database(workspace_a):
    make_mailbox(workspace_a, imap_password=PLAINTEXTS[1])
    dump = dump_every_table()
    assert "enc1:" in dump
    for secret in PLAINTEXTS:
        assert secret not in dump


def test_dumpdata_exports_ciphertext_only(workspace_a):
    make_mailbox(workspace_a, imap_password=PLAINTEXTS[1])
    out = io.StringIO()
    call_command("dumpdata", "smtp_accounts", stdout=out)
    assert "enc1:" in out.getvalue()
    for secret in PLAINTEXTS:
        assert secret not in out.getvalue()


def test_the_model_reads_back_plaintext(workspace_a):
    mailbox = make_mailbox(workspace_a)
    assert Mailbox.objects.get(pk=mailbox.pk).smtp_password == PLAINTEXTS[0]
    # IMAP falls back to the SMTP credentials.
    assert Mailbox.objects.get(pk=mailbox.pk).imap_login == ("sender@acme.example", PLAINTEXTS[0])


def test_rotation_re_encrypts_under_the_new_key(workspace_a, settings):
    old_keys = dict(settings.POSTIGO_ENCRYPTION_KEYS)
    mailbox = make_mailbox(workspace_a, imap_password=PLAINTEXTS[1])
    settings.POSTIGO_ENCRYPTION_KEYS = {"new": os.urandom(32), **old_keys}
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "smtp_accounts.Mailbox.smtp_password: 1 re-encrypted" in out.getvalue()
    assert "smtp_accounts.Mailbox.imap_password: 1 re-encrypted" in out.getvalue()
    # The old key can now be dropped.
    settings.POSTIGO_ENCRYPTION_KEYS = {"new": settings.POSTIGO_ENCRYPTION_KEYS["new"]}
    fresh = Mailbox.objects.get(pk=mailbox.pk)
    assert (fresh.smtp_password, fresh.imap_password) == tuple(PLAINTEXTS)
    out = io.StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "0 re-encrypted, 1 already under key 'new'" in out.getvalue()


def test_encrypted_columns_cannot_be_searched(workspace_a):
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Mailbox.objects.filter(smtp_password="x"))


def test_a_key_of_the_wrong_size_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    from postigo.settings import parse_encryption_keys

    with pytest.raises(ImproperlyConfigured):
        parse_encryption_keys("k1:" + base64.b64encode(os.urandom(16)).decode())
