"""Helpers for pipeline tests: a campaign built in one call, the clock-driven dispatcher."""

import datetime
import email
from email import policy

import time_machine

from campaigns.authoring.services import campaign_create, step_add, variant_add, variant_save
from campaigns.lifecycle import messages_recover_interrupted
from campaigns.models import Lead, LeadList, LeadMembership
from campaigns.sending import delivery
from campaigns.sending.dispatch import claim_for_mailbox, dispatch_tick
from campaigns.sending.launch import campaign_launch
from campaigns.tracking import buffer as tracking_buffer
from campaigns.tracking.flush import tracking_flush

UTC = datetime.UTC
START = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, inside the window


def parsed(received):
    return email.message_from_bytes(received.data, policy=policy.default)


def build(workspace, mailbox, n=4, *, steps=2, prefix="lead", **campaign_fields):
    lead_list = LeadList.objects.create(workspace=workspace, name=f"{prefix} list {n}")
    for i in range(n):
        lead = Lead.objects.create(
            workspace=workspace, email=f"{prefix}{i}@x.example", first_name=f"L{i}"
        )
        LeadMembership.objects.create(lead=lead, lead_list=lead_list)
    campaign = campaign_create(workspace=workspace, name="Pipeline")
    for name, value in campaign_fields.items():
        setattr(campaign, name, value)
    campaign.send_days = campaign_fields.get("send_days", "0123456")
    campaign.save()
    campaign.lead_lists.add(lead_list)
    campaign.mailboxes.add(mailbox)
    first = campaign.steps.get().variants.get()
    variant_save(
        variant=first,
        subject="Idea for {{first_name}}",
        body_html="<p>Hi {{first_name}}</p>",
        weight=1,
    )
    b = variant_add(step=first.step)
    variant_save(
        variant=b,
        subject="Question for {{first_name}}",
        body_html="<p>Hello {{first_name}}</p>",
        weight=1,
    )
    for _ in range(steps - 1):
        step = step_add(campaign=campaign)
        step.delay_days = 1
        step.save()
        variant_save(
            variant=step.variants.get(), subject="", body_html="<p>Following up</p>", weight=1
        )
    return campaign


def run_until(moment):
    with time_machine.travel(moment, tick=False):
        return dispatch_tick()


CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"


def track(message, kind=tracking_buffer.OPEN, *, user_agent=CHROME, flush=True):
    """A recipient opens (or clicks in) `message`, as the tracking endpoints would record it."""
    link = message.links.values_list("pk", flat=True).first() if kind == "c" else None
    tracking_buffer.push(kind, message.token, user_agent, link_id=link)
    if flush:
        tracking_flush()


def interrupted_after_delivery(workspace, mailbox, monkeypatch, n=3):
    """Step 1 handed to the server (it arrives), then the worker dies before recording it:
    recovery calls the messages unknown and stops those sequences."""
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=3)
        campaign_launch(campaign)
    at = START + datetime.timedelta(hours=2)
    with time_machine.travel(at, tick=False):
        ids = claim_for_mailbox(mailbox.pk, at)
    with monkeypatch.context() as patch, time_machine.travel(at, tick=False):
        patch.setattr(delivery._SentBuffer, "flush", lambda self: None)
        delivery.send_batch(mailbox_id=mailbox.pk, message_ids=ids)
    with time_machine.travel(at + datetime.timedelta(hours=1), tick=False):
        assert messages_recover_interrupted() == n
    return campaign
