"""Open and click tracking (DESIGN §4 step 5): a pixel and a click redirect per message.

Links are rewritten at render time to `/t/c/<signed token>/<n>/`; the target is looked up from
the `TrackedLink` rows stored for that message, so a forged or altered link is a 404 and can
never redirect anywhere else. The request path does one lookup and one insert, and a failure
to record never fails the recipient. Opens by mail proxies and privacy protection, and clicks
by link scanners, are kept but flagged `machine` and left out of human rates.
"""

from __future__ import annotations

import datetime
import logging
import re

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Event, OutboundMessage, TrackedLink
from campaigns.tokens import sign

logger = logging.getLogger(__name__)

OPEN_SALT = "postigo.open"
CLICK_SALT = "postigo.click"
_HREF = re.compile(r'(<a\b[^>]*?\bhref=")(https?://[^"]+)(")', re.IGNORECASE)
MACHINE_AGENTS = re.compile(
    r"GoogleImageProxy|ggpht\.com|YahooMailProxy|Barracuda|Mimecast|Proofpoint|"
    r"Symantec|Trend Micro|python-requests|curl/|Go-http-client|bot\b|crawler|spider|preview",
    re.IGNORECASE,
)
MACHINE_OPEN_WITHIN = datetime.timedelta(seconds=2)
MACHINE_CLICK_WITHIN = datetime.timedelta(seconds=10)
# Apple Mail Privacy Protection fetches through proxies that send a bare user agent.
APPLE_PROXY_AGENT = "Mozilla/5.0"


def pixel_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("track_open", args=[sign(token, OPEN_SALT)])


def add_pixel(html: str, token: str) -> str:
    return html + f'<img src="{pixel_url(token)}" width="1" height="1" alt="">'


def rewrite_links(html: str, token: str, *, skip: str) -> tuple[str, list[str]]:
    """Replace http(s) hrefs by tracked ones; returns the HTML and the targets by position."""
    targets: list[str] = []
    signed = sign(token, CLICK_SALT)

    def replace(match: re.Match) -> str:
        url = match.group(2).replace("&amp;", "&")
        if url == skip or len(url) > 2000 or any(ord(c) < 33 for c in url):
            return match.group(0)
        targets.append(url)
        tracked = settings.PUBLIC_BASE_URL + reverse("track_click", args=[signed, len(targets)])
        return f"{match.group(1)}{tracked}{match.group(3)}"

    return _HREF.sub(replace, html), targets


def store_links_batch(messages: list[OutboundMessage]) -> None:
    """The tracked links rendering left on each message (`message.tracked_links`)."""
    with_links = [m for m in messages if getattr(m, "tracked_links", None)]
    if not with_links:
        return
    TrackedLink.objects.filter(message__in=with_links).delete()
    TrackedLink.objects.bulk_create(
        TrackedLink(message=message, position=i, url=url)
        for message in with_links
        for i, url in enumerate(message.tracked_links, start=1)
    )


def is_machine(
    user_agent: str, sent_at: datetime.datetime | None, within: datetime.timedelta
) -> bool:
    if not user_agent or user_agent.strip() == APPLE_PROXY_AGENT:
        return True
    if MACHINE_AGENTS.search(user_agent):
        return True
    return sent_at is not None and timezone.now() - sent_at < within


def record_open(token: str, user_agent: str) -> None:
    message = OutboundMessage.objects.filter(token=token).only("pk", "sent_at").first()
    if message is None:
        return
    try:
        Event.objects.create(
            message=message,
            kind=Event.Kind.OPEN,
            machine=is_machine(user_agent, message.sent_at, MACHINE_OPEN_WITHIN),
            user_agent=user_agent[:300],
        )
    except Exception:  # the recipient gets their pixel whatever happens here
        logger.exception("Could not record an open")


def click_target(token: str, position: int, user_agent: str) -> str | None:
    link = (
        TrackedLink.objects.filter(message__token=token, position=position)
        .select_related("message")
        .only("url", "message__sent_at")
        .first()
    )
    if link is None:
        return None
    try:
        Event.objects.create(
            message=link.message,
            kind=Event.Kind.CLICK,
            link=link,
            machine=is_machine(user_agent, link.message.sent_at, MACHINE_CLICK_WITHIN),
            user_agent=user_agent[:300],
        )
    except Exception:
        logger.exception("Could not record a click")
    return link.url
