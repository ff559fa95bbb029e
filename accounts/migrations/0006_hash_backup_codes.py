"""Backup codes were stored as they were shown: store their keyed digests instead.

Every code still works (the digest of what the user typed is compared); the database no
longer holds a code anyone could type."""

from django.db import migrations

from accounts.two_factor import DIGEST_PREFIX, backup_code_digest


def hash_backup_codes(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.exclude(token__startswith=DIGEST_PREFIX).iterator():
        StaticToken.objects.filter(pk=token.pk).update(token=backup_code_digest(token.token))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_workspace_suspension"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        # Digests cannot be turned back into codes: going back leaves them as they are.
        migrations.RunPython(hash_backup_codes, migrations.RunPython.noop),
    ]
