"""Each stored mailbox password is bound to the server it may be sent to (secret binding).

Existing mailboxes are bound to the servers they have now: from here on, changing a server
without entering its password again leaves the password unsent."""

from django.db import migrations, models

from core.secret_binding import Destination, bind


def bind_existing(apps, schema_editor):
    Mailbox = apps.get_model("smtp_accounts", "Mailbox")
    for mailbox in Mailbox.objects.iterator():
        smtp = Destination(
            "smtp",
            mailbox.smtp_host,
            mailbox.smtp_port,
            mailbox.smtp_security,
            mailbox.smtp_username,
        )
        imap = Destination(
            "imap",
            mailbox.imap_host,
            mailbox.imap_port,
            mailbox.imap_security,
            mailbox.imap_username or mailbox.smtp_username,
        )
        Mailbox.objects.filter(pk=mailbox.pk).update(
            smtp_secret_binding=bind(mailbox.smtp_password, smtp),
            imap_secret_binding=bind(mailbox.imap_password or mailbox.smtp_password, imap),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("smtp_accounts", "0011_mailbox_capped_until"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailbox",
            name="imap_secret_binding",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="mailbox",
            name="smtp_secret_binding",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(bind_existing, migrations.RunPython.noop),
    ]
