"""Reply labels: the seven built in, and text folding shared by the rule-based providers.

Declared once, here: `campaigns.models.Reply.Label` is this class (campaigns may import ai; ai
never imports campaigns). A workspace's own labels (`ai.models.CustomLabel`) come after them.
"""

from __future__ import annotations

import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReplyLabel(models.TextChoices):
    INTERESTED = "interested", _("Interested")
    NOT_INTERESTED = "not_interested", _("Not interested")
    NEUTRAL = "neutral", _("Neutral")
    OUT_OF_OFFICE = "out_of_office", _("Out of office")
    AUTO_REPLY = "auto_reply", _("Auto-reply")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe")
    BOUNCE = "bounce", _("Bounce")


# What each built-in label means, as a remote model is told.
DESCRIPTIONS = {
    ReplyLabel.INTERESTED: "wants to talk, asks for details, a price, a call or a meeting",
    ReplyLabel.NOT_INTERESTED: "declines: not interested, no need, already has a solution",
    ReplyLabel.NEUTRAL: "anything else: a question, a referral to a colleague, unclear",
    ReplyLabel.OUT_OF_OFFICE: "an absence notice: holiday, leave, travelling, back on a date",
    ReplyLabel.AUTO_REPLY: "an automated answer: ticket systems, unmonitored mailboxes",
    ReplyLabel.UNSUBSCRIBE: "asks to stop writing, to be removed, or complains of spam",
}


# Letters that are not a base letter plus an accent, so NFKD leaves them alone.
_UNACCENTED = str.maketrans({"ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d"})


def fold(text: str) -> str:
    """Lower case without accents, whitespace collapsed: "Nächste  Woche" -> "nachste woche",
    "szczegółów" -> "szczegolow"."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_UNACCENTED))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
