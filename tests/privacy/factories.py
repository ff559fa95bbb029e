"""Builders for the privacy tests: one campaign's rows, dated where a test wants them."""

from __future__ import annotations

import datetime
import itertools

from campaigns.models import (
    Campaign,
    CampaignStat,
    Enrollment,
    Event,
    Lead,
    LeadList,
    OutboundMessage,
    Reply,
    Step,
    TrackedLink,
    Variant,
)
from smtp_accounts.models import Mailbox, SendLog

NOW = datetime.datetime(2026, 6, 15, 14, 30, tzinfo=datetime.UTC)
_seq = itertools.count(1)


def make_mailbox(workspace, **extra) -> Mailbox:
    n = next(_seq)
    values = {
        "email": f"sender{n}@acme.example",
        "smtp_host": "smtp.acme.example",
        "smtp_username": f"sender{n}@acme.example",
        "smtp_password": "s3cret-smtp-Passw0rd",
        "imap_password": "s3cret-imap-Passw0rd",
    }
    return Mailbox.objects.create(workspace=workspace, **(values | extra))


def make_campaign(workspace, *, at: datetime.datetime, recipient: str = "", mailbox=None):
    """A launched campaign with one step, one variant, one lead, one sent message, a link, an
    open and a reply, every date of it `at` (its last activity)."""
    n = next(_seq)
    recipient = recipient or f"lead{n}@example.com"
    mailbox = mailbox or make_mailbox(workspace)
    lead_list = LeadList.objects.create(workspace=workspace, name=f"List {n}")
    lead = Lead.objects.create(workspace=workspace, email=recipient, first_name="Lena")
    lead.lists.add(lead_list)
    campaign = Campaign.objects.create(
        workspace=workspace, name=f"Campaign {n}", status="completed", created_at=at
    )
    campaign.lead_lists.add(lead_list)
    campaign.mailboxes.add(mailbox)
    step = Step.objects.create(campaign=campaign, position=1)
    variant = Variant.objects.create(step=step, subject="Hi {{first_name}}", body_html="<p>Hi</p>")
    enrollment = Enrollment.objects.create(
        campaign=campaign, lead=lead, mailbox=mailbox, status="completed", created_at=at
    )
    message = OutboundMessage.objects.create(
        enrollment=enrollment,
        step=step,
        variant=variant,
        mailbox=mailbox,
        state="sent",
        recipient=recipient,
        subject="Hi Lena",
        body_html=f"<p>Hi Lena ({recipient})</p>",
        queued_at=at,
        sent_at=at,
        replied_at=at,
        message_id=f"<m{n}@acme.example>",
    )
    link = TrackedLink.objects.create(message=message, position=0, url="https://acme.example/")
    Event.objects.create(message=message, kind="open", created_at=at)
    Reply.objects.create(
        message=message,
        kind="reply",
        fingerprint=f"fp{n}",
        received_at=at,
        from_address=recipient,
        subject="Re: Hi Lena",
        text=f"Sure, write to {recipient}",
    )
    CampaignStat.objects.create(
        campaign=campaign, day=at.date(), step_id=step.pk, variant_id=variant.pk, sent=1, replied=1
    )
    SendLog.objects.create(
        mailbox=mailbox, recipient=recipient, outcome="sent", code=250, created_at=at
    )
    Campaign.objects.filter(pk=campaign.pk).update(updated_at=at, launched_at=at)
    campaign.refresh_from_db()
    campaign.message = message
    campaign.link = link
    return campaign


def around(cutoff: datetime.datetime) -> dict[str, datetime.datetime]:
    """Dates around a rule's cutoff: only the first two are expired."""
    day = datetime.timedelta(days=1)
    return {
        "day_before": cutoff - day / 2,
        "last_instant_before": cutoff - datetime.timedelta(microseconds=1),
        "day_of_start": cutoff,
        "day_of": cutoff + day / 2,
        "day_after": cutoff + day + day / 2,
    }


EXPIRED = {"day_before", "last_instant_before"}


def erased(workspace_id: int) -> bool:
    """Erased by the purge: gone, or (when rows kept through erasure, such as its ledger, hang
    from it) pseudonymised, with nothing else of it left."""
    from accounts.models import Membership, Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return True
    return (
        workspace.erased_at is not None
        and workspace.name == "Erased workspace"
        and not Membership.objects.filter(workspace_id=workspace_id).exists()
    )
