"""A new workspace gets its balance row and the operator's starter credit."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import Workspace


@receiver(post_save, sender=Workspace, dispatch_uid="billing_starter_credit")
def on_workspace_created(sender, instance: Workspace, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        from billing.services import starter_credit

        starter_credit(instance)
