"""Builders shared by the tests (and a few benchmarks): mailboxes and outgoing mail, test DNS
zones, a campaign built and driven by the clock, and a database that refuses a write."""

from __future__ import annotations

import contextlib
import datetime
import email
import socket
import uuid
from email import policy
from email.message import EmailMessage
from pathlib import Path

import time_machine
from django.db import DatabaseError, connection

from campaigns.authoring.services import campaign_create, step_add, variant_add, variant_save
from campaigns.lifecycle import messages_recover_interrupted
from campaigns.models import Lead, LeadList, LeadMembership
from campaigns.sending import delivery
from campaigns.sending.dispatch import dispatch_tick, messages_claim
from campaigns.sending.launch import campaign_launch
from campaigns.tracking import buffer as tracking_buffer
from campaigns.tracking.flush import tracking_flush
from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage
from tests.servers.dns import txt, zone

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "leads-sample.csv"

# --- mailboxes and outgoing mail -----------------------------------------------------------------


def make_mailbox(workspace, **overrides) -> Mailbox:
    values = {
        "email": "sender@acme.example",
        "from_name": "Alice from Acme",
        "smtp_host": "127.0.0.1",
        "smtp_port": 2525,
        "smtp_security": "starttls",
        "smtp_username": "sender@acme.example",
        "smtp_password": "s3cret-smtp-Passw0rd",
        "imap_host": "127.0.0.1",
        "imap_port": 1143,
        "imap_security": "none",
    }
    values.update(overrides)
    return Mailbox.objects.create(workspace=workspace, **values)


def sent_message(mailbox, *, at: datetime.datetime, lead_email: str = "lead@x.example"):
    """A campaign message the mailbox sent at `at` (rows only: no SMTP), so it has mail to
    read back."""
    from campaigns.models import Enrollment, OutboundMessage

    campaign = campaign_create(workspace=mailbox.workspace, name="Sent before")
    lead = Lead.objects.create(workspace=mailbox.workspace, email=lead_email)
    enrollment = Enrollment.objects.create(
        campaign=campaign, lead=lead, mailbox=mailbox, next_due_at=None
    )
    return OutboundMessage.objects.create(
        enrollment=enrollment, step=campaign.steps.get(), mailbox=mailbox, state="sent",
        recipient=lead.email, subject="Idea", message_id=f"<{uuid.uuid4().hex}@acme.example>",
        sent_at=at,
    )  # fmt: skip


def outgoing(n: int, *, start: int = 0) -> list[OutgoingMessage]:
    messages = []
    for i in range(start, start + n):
        msg = EmailMessage()
        msg["From"] = "Alice <sender@acme.example>"
        msg["To"] = f"lead{i}@example.com"
        msg["Subject"] = f"Hello {i}"
        msg["Message-ID"] = f"<m{i}@acme.example>"
        msg.set_content(f"Body {i}")
        messages.append(
            OutgoingMessage(
                f"lead{i}@example.com", msg.as_bytes(policy=policy.SMTP), f"<m{i}@acme.example>"
            )
        )
    return messages


def sink_mailbox(workspace, smtp_server, **overrides) -> Mailbox:
    """A mailbox sending to the test SMTP server as fast as it can: no gap, no warm-up."""
    values = {
        "smtp_host": "localhost",
        "smtp_port": smtp_server.port,
        "smtp_username": smtp_server.username,
        "smtp_password": smtp_server.password,
        "min_gap_seconds": 0,
        "gap_jitter_seconds": 0,
        "warmup_enabled": False,
    }
    return make_mailbox(workspace, **(values | overrides))


def read_from(mailbox, imap_server) -> None:
    """The mailbox reads its inbox from the test dovecot."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_host="localhost",
        imap_port=imap_server.port,
        imap_security="starttls",
    )
    mailbox.refresh_from_db()
    mailbox.imap_username, mailbox.imap_password = imap_server.username, imap_server.password
    mailbox.save()


# --- test DNS zones ------------------------------------------------------------------------------

# A public address only our test zones know; nothing here leaves the machine.
SMTP_IP = "45.33.32.156"
REVERSED = "156.32.33.45"
GOOD_DKIM = "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtest"


def healthy_zone(**overrides) -> str:
    records = {
        "mx": "@ MX 1 smtp.google.com.",
        "spf": '@ TXT "v=spf1 include:_spf.google.com ~all"',
        "dkim": f"google._domainkey TXT {txt(GOOD_DKIM)}",
        "dmarc": '_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.example"',
        "smtp": f"smtp A {SMTP_IP}",
    }
    records.update(overrides)
    return "\n".join(v for v in records.values() if v) + "\n"


def google_zone():
    return zone("_spf.google.com", '@ TXT "v=spf1 ip4:74.125.0.0/16 ~all"\n')


# --- campaigns ----------------------------------------------------------------------------------

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


def interrupted_after_delivery(workspace, mailbox, n=3):
    """Step 1 handed to the server (it arrives), then the worker dies before recording it:
    recovery calls the messages unknown and stops those sequences."""
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=3)
        campaign_launch(campaign=campaign)
    at = START + datetime.timedelta(hours=2)
    with time_machine.travel(at, tick=False):
        ids = messages_claim(mailbox_id=mailbox.pk, now=at)
    refused = database_refuses("campaigns_outboundmessage", "NEW.state = 'sent'")
    with time_machine.travel(at, tick=False), refused, contextlib.suppress(DatabaseError):
        delivery.messages_send(mailbox_id=mailbox.pk, message_ids=ids)
    with time_machine.travel(at + datetime.timedelta(hours=1), tick=False):
        assert messages_recover_interrupted() == n
    return campaign


def first_variant(campaign):
    return campaign.steps.get(position=1).variants.get(label="A")


def add_leads(workspace, *rows, list_name="Prospects"):
    lead_list, _created = LeadList.objects.get_or_create(workspace=workspace, name=list_name)
    for row in rows:
        lead = Lead.objects.create(workspace=workspace, **row)
        LeadMembership.objects.create(lead=lead, lead_list=lead_list)
    return lead_list


# --- faults at real seams -----------------------------------------------------------------------


@contextlib.contextmanager
def database_refuses(table: str, when: str, *, saying: str = "the database went away"):
    """While inside, the database refuses every UPDATE of `table` whose new row matches `when`
    (SQL over NEW, e.g. "NEW.state = 'sent'"), as a worker losing its database mid-write would
    see it: a real fault at a real seam, no code of ours patched. Raises DatabaseError there."""
    name = f"refuse_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN RAISE EXCEPTION '{saying}'; END $$"
            )
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION {name}()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} FOR EACH ROW WHEN {when} "
                f"BEGIN SELECT RAISE(ABORT, '{saying}'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER {name}"
                + (f" ON {table}" if connection.vendor == "postgresql" else "")
            )
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP FUNCTION {name}()")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
