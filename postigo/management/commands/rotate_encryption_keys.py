"""Re-encrypt every stored secret under the current key (the first of POSTIGO_ENCRYPTION_KEYS)."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from core import crypto
from core.fields import encrypted_fields


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        current = crypto.current_key_id()
        prefix = f"{crypto.PREFIX}{current}$"
        for model, field in encrypted_fields():
            # Cast reads the stored ciphertext without the field decrypting it.
            stale = (
                model._base_manager.annotate(_raw=Cast(field.attname, TextField()))
                .exclude(_raw="")
                .exclude(_raw__isnull=True)
                .exclude(_raw__startswith=prefix)
            )
            rotated = 0
            while True:
                pks = list(stale.values_list("pk", flat=True)[:batch_size])
                if not pks:
                    break
                with transaction.atomic():
                    for obj in model._base_manager.select_for_update().filter(pk__in=pks):
                        # Reading decrypts with whichever key it was under; saving encrypts
                        # with the current one.
                        obj.save(update_fields=[field.attname])
                        rotated += 1
            total = model._base_manager.exclude(**{f"{field.attname}__isnull": True}).count()
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {rotated} re-encrypted, "
                f"{total - rotated} already under key {current!r}"
            )
