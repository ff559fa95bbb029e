"""What a development install starts with besides its user: something to send with and to.

A mailbox on the local mail catcher (`make run`'s `mail` process, postigo/mailcatcher.py):
it sends over SMTP on settings.MAIL_CATCHER_PORT (1025 unless that was taken; any login) and is
read over IMAP on settings.MAIL_CATCHER_IMAP_PORT (1143 unless taken; demo / demo), a list of
made-up leads on reserved `.example` domains, and a two-step draft campaign with an A/B test on
its first step, ready to review and launch. Launched, it sends for real through the pipeline
(the first emails within a minute: no warm-up, a short gap, the window always open); what it
sends lands in var/mail/ and /dev/mail/, where each lead can be made to answer
(postigo/demo_replies.py) into the demo mailbox, read back by the real IMAP sync.
"""

from __future__ import annotations

import datetime
import unicodedata

from django.conf import settings
from django.db import transaction

from accounts.models import Workspace
from campaigns.authoring.services import campaign_create, step_add, variant_add, variant_save
from campaigns.models import Campaign, Lead, LeadList, LeadMembership
from postigo.mailcatcher import IMAP_PASSWORD, IMAP_USERNAME
from smtp_accounts.models import Mailbox, Security

DEMO_MAILBOX = "alex@postigo.localhost"
DEMO_LAUNCH_SPREAD = 30  # seconds: the demo's first emails leave within a minute of launch

_PEOPLE = [
    ("Ingrid", "Larsen", "Blue Fjord", "VP Growth"),
    ("Agnieszka", "Nowak", "Vela Robotics", "Founder"),
    ("Chloé", "Martin", "Brightwave", "Marketing Manager"),
    ("Piotr", "Kowalski", "Lumen Analytics", "Head of Sales"),
    ("Lucas", "Moreau", "Atelier Nord", "CEO"),
    ("Sofia", "Rossi", "Tessera Labs", "COO"),
    ("Jonas", "Becker", "Kranich Logistics", "Sales Director"),
    ("Marta", "García", "Sol Y Datos", "Growth Lead"),
    ("Daan", "de Vries", "Polder Systems", "Founder"),
    ("Inês", "Costa", "Maré Digital", "Head of Marketing"),
    ("Emma", "Johansson", "Norrsken AI", "CTO"),
    ("Noah", "Schmidt", "Bergwerk Cloud", "VP Sales"),
    ("Léa", "Dubois", "Carré Finance", "CFO"),
    ("Mateo", "Fernández", "Andes Retail", "Operations Manager"),
    ("Hanna", "Wiśniewska", "Wisła Software", "Product Lead"),
    ("Oliver", "Brown", "Harbour Health", "Managing Director"),
    ("Giulia", "Bianchi", "Verde Energia", "Partnerships"),
    ("Lars", "Nilsson", "Fjällkod", "CEO"),
    ("Ana", "Silva", "Rio Mobility", "Head of Growth"),
    ("Thomas", "Wagner", "Alpen Commerce", "Founder"),
    ("Zofia", "Mazur", "Baltic Payments", "Sales Manager"),
    ("Hugo", "Lambert", "Lumière Studio", "Creative Director"),
    ("Eva", "Horváth", "Duna Tech", "COO"),
    ("Ruben", "Janssen", "Tulip Freight", "Commercial Director"),
]

_STEP_ONE = {
    "A": (
        "{Quick|Short} question about {{company|your team}}",
        "<p>{Hi|Hello} {{first_name|there}},</p>"
        "<p>I noticed {{company|your company}} is growing its outbound team. We help teams like"
        " yours send personal cold email from their own mailboxes, within each provider's"
        " limits.</p><p>Would a 15-minute call next week be useful?</p><p>Alex</p>",
    ),
    "B": (
        "{{first_name|Hi}}, an idea for {{company|your team}}",
        "<p>{Hi|Hello} {{first_name|there}},</p>"
        "<p>Most teams we talk to lose replies to spam folders. We fixed that for companies like"
        " {{company|yours}} by sending slower, from more mailboxes, and stopping the moment"
        " someone answers.</p><p>Worth a look?</p><p>Alex</p>",
    ),
}
_STEP_TWO = (
    "",  # a reply in the thread: "Re: " and the first email's subject
    "<p>{{first_name|Hi}}, just bringing this back to the top of your inbox. Happy to send a"
    " two-minute video instead of a call, if that is easier.</p><p>Alex</p>",
)


@transaction.atomic
def demo_campaign_create(workspace: Workspace) -> Campaign:
    mailbox = Mailbox.objects.create(
        workspace=workspace,
        from_name="Alex Demo",
        email=DEMO_MAILBOX,
        smtp_host="127.0.0.1",
        smtp_port=settings.MAIL_CATCHER_PORT,
        smtp_security=Security.NONE,
        smtp_username="demo",
        smtp_password="demo",  # the catcher takes any login
        imap_host="127.0.0.1",
        imap_port=settings.MAIL_CATCHER_IMAP_PORT,
        imap_security=Security.NONE,
        imap_username=IMAP_USERNAME,
        imap_password=IMAP_PASSWORD,
        warmup_enabled=False,
        min_gap_seconds=20,
        gap_jitter_seconds=10,
    )
    lead_list = LeadList.objects.create(workspace=workspace, name="Demo leads")
    leads = [
        Lead.objects.create(
            workspace=workspace,
            email=f"{_ascii(first)}@{_ascii(company)}.example",
            first_name=first,
            last_name=last,
            company=company,
            title=title,
        )
        for first, last, company, title in _PEOPLE
    ]
    LeadMembership.objects.bulk_create(
        LeadMembership(lead=lead, lead_list=lead_list) for lead in leads
    )

    campaign = campaign_create(workspace=workspace, name="Demo outreach")
    campaign.send_days = "0123456"
    campaign.window_start, campaign.window_end = datetime.time(0, 0), datetime.time(23, 59)
    campaign.track_clicks = True
    campaign.launch_spread_seconds = DEMO_LAUNCH_SPREAD
    campaign.save()
    campaign.lead_lists.add(lead_list)
    campaign.mailboxes.add(mailbox)
    first_step = campaign.steps.get()
    variants = {"A": first_step.variants.get(), "B": variant_add(step=first_step)}
    for label, (subject, body) in _STEP_ONE.items():
        variant_save(variant=variants[label], subject=subject, body_html=body, weight=50)
    follow_up = step_add(campaign=campaign)
    follow_up.delay_days = 2
    follow_up.save(update_fields=["delay_days"])
    variant_save(
        variant=follow_up.variants.get(), subject=_STEP_TWO[0], body_html=_STEP_TWO[1], weight=100
    )
    return campaign


def _ascii(text: str) -> str:
    """A made-up address's part: "Chloé" -> "chloe", "Sol Y Datos" -> "solydatos"."""
    text = text.translate(str.maketrans({"ł": "l", "ø": "o", "æ": "ae", "ß": "ss"}))
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def demo_mailbox_follow_catcher() -> int:
    """Point the demo mailboxes at the ports this run's catcher listens on (they move when 1025
    or 1143 is taken; a mailbox seeded before the catcher spoke IMAP gets its IMAP side);
    returns how many were changed."""
    moved = 0
    for mailbox in Mailbox.objects.filter(email=DEMO_MAILBOX, smtp_host="127.0.0.1"):
        wanted = {
            "smtp_port": settings.MAIL_CATCHER_PORT,
            "imap_host": "127.0.0.1",
            "imap_port": settings.MAIL_CATCHER_IMAP_PORT,
            "imap_security": Security.NONE,
            "imap_username": IMAP_USERNAME,
        }
        if all(getattr(mailbox, field) == value for field, value in wanted.items()):
            continue
        for field, value in wanted.items():
            setattr(mailbox, field, value)
        mailbox.imap_password = IMAP_PASSWORD
        mailbox.bind_secrets()  # the secrets are bound to the server they are sent to
        mailbox.save()
        moved += 1
    return moved


def demo_drafts_pace() -> int:
    """Give demo drafts seeded before the demo had its own pacing the demo's short launch
    spread; returns how many changed."""
    return (
        Campaign.objects.filter(status=Campaign.Status.DRAFT, mailboxes__email=DEMO_MAILBOX)
        .exclude(launch_spread_seconds=DEMO_LAUNCH_SPREAD)
        .update(launch_spread_seconds=DEMO_LAUNCH_SPREAD)
    )
