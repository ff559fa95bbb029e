"""Turning a variant and a lead into a MIME message ready for the sender (CRLF, RFC 5322)."""

from __future__ import annotations

from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from campaigns import content
from campaigns.authoring import body_source, lead_values, parse_variant
from campaigns.models import Lead, Variant
from campaigns.templating import HEADER, HTML, TEXT, parse
from smtp_accounts.models import Mailbox
from smtp_accounts.sender import OutgoingMessage


def build_message(
    *,
    variant: Variant,
    lead: Lead | None,
    mailbox: Mailbox,
    to: str,
    seed: object,
    values: dict[str, str] | None = None,
) -> OutgoingMessage:
    parsed = parse_variant(variant)
    values = values if values is not None else lead_values(lead, sender=mailbox)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(mailbox.from_name, addr_spec=mailbox.email)
    message["To"] = to
    message["Subject"] = parsed.subject.render(values, seed=seed, mode=HEADER)
    message["Date"] = format_datetime(timezone.now())
    message_id = make_msgid(domain=mailbox.domain)
    message["Message-ID"] = message_id
    text = parse(content.html_to_text(body_source(variant))).render(values, seed=seed, mode=TEXT)
    message.set_content(text)
    message.add_alternative(parsed.body.render(values, seed=seed, mode=HTML), subtype="html")
    return OutgoingMessage(to, message.as_bytes(policy=policy.SMTP), message_id)
