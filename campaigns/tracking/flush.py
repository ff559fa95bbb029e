"""What recipients do with a message — opens and clicks — recorded as events and counted.

Opens and clicks arrive through the tracking buffer and are written here in batches by the
flush task (`tracking_flush`, beat every few seconds). Each becomes an `Event` (kept, flagged
`machine` when a proxy, privacy protection or a link scanner made it); the first human open and
click of a message set its `opened_at` / `clicked_at` and add one to the campaign's counters, in
the same transaction. Recording the same hit twice adds nothing.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction

from api import events as webhook_events
from campaigns.lifecycle import PROMOTED_FIELDS, messages_mark_first, messages_promote
from campaigns.models import Event, OutboundMessage
from campaigns.stats import Tally
from campaigns.tracking import buffer as tracking_buffer
from campaigns.tracking.buffer import OPEN, Hit
from campaigns.tracking.links import MACHINE_CLICK_WITHIN, MACHINE_OPEN_WITHIN, is_machine
from privacy.services import untracked_workspace_ids

logger = logging.getLogger(__name__)

FLUSH_BATCH = 5000


def tracking_flush(*, batch: int = FLUSH_BATCH) -> int:
    """Move every buffered hit into events and counters; returns how many were taken."""
    taken = 0
    while True:
        pending = tracking_buffer.take(batch)
        if not len(pending):
            return taken
        record_hits(pending.hits)
        pending.ack()
        taken += len(pending)


def record_hits(hits: list[Hit]) -> int:
    """Events for these hits (those whose message still exists), first opens/clicks counted."""
    messages, unknown = {}, set()
    found = OutboundMessage.objects.filter(token__in={hit.token for hit in hits})
    if untracked := untracked_workspace_ids():  # restricted, or objecting to analytics
        found = found.exclude(enrollment__campaign__workspace_id__in=untracked)
    for token, pk, sent_at, state in found.values_list("token", "pk", "sent_at", "state"):
        messages[token] = (pk, sent_at)
        if state == OutboundMessage.State.UNKNOWN:
            unknown.add(pk)
    events: list[Event] = []
    first: dict[str, dict[int, datetime.datetime]] = {"opened_at": {}, "clicked_at": {}}
    for hit in hits:
        # Erased, older than the retention period, or of a workspace that records no tracking
        if hit.token not in messages:
            continue
        pk, sent_at = messages[hit.token]
        opened = hit.kind == OPEN
        machine = is_machine(
            hit.user_agent,
            since_sent=hit.at - sent_at if sent_at else None,
            within=MACHINE_OPEN_WITHIN if opened else MACHINE_CLICK_WITHIN,
        )
        events.append(
            Event(
                message_id=pk,
                kind=Event.Kind.OPEN if opened else Event.Kind.CLICK,
                machine=machine,
                link_id=None if opened else hit.link_id,
                user_agent=hit.user_agent,
                created_at=hit.at,
                hit_id=hit.id,
            )
        )
        if not machine:
            seen = first["opened_at" if opened else "clicked_at"]
            seen[pk] = min(seen.get(pk, hit.at), hit.at)
    with transaction.atomic():
        if unknown:  # opened or clicked: it went out after all (rare: a send was interrupted)
            in_doubt = OutboundMessage.objects.filter(pk__in=unknown).select_related("enrollment")
            messages_promote(
                list(in_doubt.only(*PROMOTED_FIELDS, "enrollment__campaign_id", "state"))
            )
        Event.objects.bulk_create(events, ignore_conflicts=True, batch_size=1000)
        webhook_events.tracking_hits(events)
        tally = Tally()
        messages_mark_first(first["opened_at"], "opened_at", "opened", tally)
        messages_mark_first(first["clicked_at"], "clicked_at", "clicked", tally)
        tally.save()
    return len(events)
