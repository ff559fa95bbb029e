"""An export's file goes with its row, however the row goes (the purge deletes querysets)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.conf import settings
from django.db.models.signals import post_delete
from django.dispatch import receiver

from privacy.models import DataExport


@receiver(post_delete, sender=DataExport, dispatch_uid="privacy_export_file")
def delete_export_file(sender, instance: DataExport, **kwargs) -> None:
    if instance.file:
        with contextlib.suppress(FileNotFoundError):
            (Path(settings.MEDIA_ROOT) / instance.file).unlink()
