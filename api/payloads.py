"""What webhook events carry: ids and the data a CRM needs, never a secret.

Builders read only relations the caller has loaded already (the send path has the enrollment,
its lead and campaign in hand): an event never costs a query per message.
"""

from __future__ import annotations

from django.utils import timezone


def _loaded(obj, name: str):
    """The related object if it was fetched with `obj`, else None (no query)."""
    return obj._state.fields_cache.get(name) if obj is not None else None


def _when(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def lead_data(lead) -> dict:
    if lead is None:
        return {}
    return {
        "id": lead.pk,
        "email": lead.email,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company": lead.company,
    }


def campaign_data(campaign) -> dict:
    if campaign is None:
        return {}
    return {"id": campaign.pk, "name": campaign.name, "status": campaign.status}


def message_data(message, **extra) -> dict:
    """A campaign email: which lead, campaign, step and variant, from which mailbox."""
    enrollment = _loaded(message, "enrollment")
    step, variant, mailbox = (_loaded(message, n) for n in ("step", "variant", "mailbox"))
    data = {
        "message_id": message.pk,
        "recipient": message.recipient,
        "subject": message.subject,
        "step": step.position if step else None,
        "variant": variant.label if variant else None,
        "mailbox": {"id": message.mailbox_id, "email": mailbox.email if mailbox else None},
        "sent_at": _when(message.sent_at),
        "campaign": campaign_data(_loaded(enrollment, "campaign"))
        or {"id": enrollment.campaign_id if enrollment else None},
        "lead": lead_data(_loaded(enrollment, "lead"))
        or {"id": enrollment.lead_id if enrollment else None, "email": message.recipient},
    }
    data.update(extra)
    return data


def reply_data(reply, message) -> dict:
    return message_data(
        message,
        reply={
            "id": reply.pk,
            "kind": reply.kind,
            "label": reply.label,
            "from": reply.from_address,
            "subject": reply.subject,
            "text": reply.text[:5000],
            "received_at": _when(reply.received_at),
        },
    )


def now() -> str:
    return _when(timezone.now())
