"""What the API app keeps about people, for the privacy app (privacy/registry.py): webhook
events, whose payloads name leads and quote their replies, until they are delivered and purged."""

from __future__ import annotations

import json

from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy

from api.models import WebhookEvent
from privacy.registry import Shredder


class WebhookShredder(Shredder):
    identifier = "api"
    verbose_name = gettext_lazy("API and webhooks")

    def erase_address(self, *, workspace, address):
        """The workspace's events whose payload names the address go, with their deliveries
        (nothing about the person is posted to an endpoint afterwards, nor redelivered)."""
        # As stored: JSON text, where a non-ASCII address may be written with \u escapes.
        forms = {address, json.dumps(address)[1:-1]}
        named = Q()
        for form in forms:
            named |= Q(as_text__icontains=form)
        events = (
            WebhookEvent.objects.for_workspace(workspace)
            .annotate(as_text=Cast("data", TextField()))
            .filter(named)
        )
        ids = list(events.values_list("pk", flat=True))
        _total, detail = WebhookEvent.objects.filter(pk__in=ids).delete()
        return {"webhook events": detail.get(WebhookEvent._meta.label, 0)}
