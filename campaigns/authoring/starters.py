"""Built-in starter sequences, offered to every workspace beside its own templates. Written in
spintax with merge fields that fall back (`{{first_name|there}}`), so they pass the launch checks
against any list with an email column; the automatic footer adds the unsubscribe link. A test
launches each one against a fresh workspace (tests/campaigns/test_sequence_templates.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def _step(days: int, subject: str, *paragraphs: str, in_thread: bool = True) -> dict:
    return {
        "delay_days": days,
        "delay_hours": 0,
        "in_thread": in_thread,
        "variants": [
            {
                "label": "A",
                "subject": subject,
                "body_html": "".join(f"<p>{p}</p>" for p in paragraphs),
                "weight": 1,
            }
        ],
    }


STARTERS: dict[str, dict] = {
    "intro": {
        "name": _("Short intro + 2 follow-ups"),
        "description": _("A short first email, a nudge three days later, a last note a week on."),
        "steps": [
            _step(
                0,
                "{Quick|Short} question, {{first_name|there}}",
                "{Hi|Hello} {{first_name|there}},",
                "I {work with|help} teams like {{company|yours}} to book more meetings from cold "
                "email without burning their domains. {Would it be worth|Is it worth} a "
                "15-minute call to see if it fits?",
                "{{signature}}",
            ),
            _step(
                3,
                "",
                "{Hi|Hello} {{first_name|there}}, {just bringing this back up|a quick nudge on "
                "this} in case it got buried. {Is this on your radar|Is it a priority} this "
                "quarter?",
                "{{signature}}",
            ),
            _step(
                7,
                "",
                "{{first_name|Hi}}, I will stop here. If {booking more meetings|outbound} "
                "becomes a priority for {{company|your team}}, just reply and I will pick it up.",
                "{{signature}}",
            ),
        ],
    },
    "partnership": {
        "name": _("Partnership ask"),
        "description": _("Proposes working together, with one follow-up."),
        "steps": [
            _step(
                0,
                "{Partnership|Working together}: {{company|your company}} and us",
                "{Hi|Hello} {{first_name|there}},",
                "I {have followed|have been following} {{company|your work}} for a while and "
                "think our customers would {value|benefit from} both of us. {Would you be open "
                "to|Are you open to} a short call about a partnership, a joint webinar or a "
                "referral swap?",
                "{{signature}}",
            ),
            _step(
                4,
                "",
                "{Hi|Hello again} {{first_name|there}}, {happy to send|I can send} a one-page "
                "outline of what a partnership could look like first, if that is easier.",
                "{{signature}}",
            ),
        ],
    },
    "reengage": {
        "name": _("Re-engagement"),
        "description": _("Reconnects with past contacts or customers who went quiet."),
        "steps": [
            _step(
                0,
                "{It has been a while|Long time no talk}, {{first_name|there}}",
                "{Hi|Hello} {{first_name|there}},",
                "It has been a while since we last {spoke|talked}. A lot has changed on our "
                "side and some of it {answers|solves} what {{company|your team}} asked us "
                "about. {Want a quick update|Shall I send a short summary}?",
                "{{signature}}",
            ),
            _step(
                5,
                "",
                "{{first_name|Hi}}, {no pressure at all|no rush}: if now is not the right time, "
                "tell me when to check back.",
                "{{signature}}",
            ),
        ],
    },
}
