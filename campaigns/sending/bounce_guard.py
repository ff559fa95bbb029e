"""Pausing a campaign whose mail bounces too much.

A list full of dead addresses burns the sending domains' reputation within a day, and then
providers filter everything those domains send. So when more than `campaign.bounce_limit` % of
the emails a campaign tried since it (re)started bounced — refused during SMTP or reported back
later — after at least MIN_ATTEMPTS, it is paused, says why, and its workspace is told (in the
app, and by email to owners and admins). Resuming starts the count again from there: the user
cleaned the list, or accepts the rate. A limit of 0 never pauses.

Checked where outcomes are recorded (`campaigns/sending/delivery.py` after each stored group of sent
messages and each hard bounce, `campaigns/inbox/bounces.py` after a batch of bounce reports),
inside their transaction, so the pause and the counts it read commit together. A send only
lowers a rate: once a campaign is past MIN_ATTEMPTS since it (re)started and under its limit,
sends cannot pause it, so the sent path stops asking for the rest of its batch (`settled`); a
bounce, which can, is checked whenever one is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from api import events as webhook_events
from campaigns.models import Campaign, CampaignStat
from campaigns.notices import campaign_notify_paused

MIN_ATTEMPTS = 50


def bounce_totals(campaign_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """{campaign: (emails tried, bounced)} over its whole life, from the counters (one query)."""
    rows = (
        CampaignStat.objects.filter(campaign_id__in=list(campaign_ids))
        .values("campaign_id")
        .annotate(tried=Sum(F("sent") + F("failed")), bounced=Sum(F("bounced") + F("returned")))
        .order_by()
    )
    return {row["campaign_id"]: (row["tried"] or 0, row["bounced"] or 0) for row in rows}


def campaigns_pause_on_bounces(
    *, campaign_ids: Iterable[int], settled: set[int] | None = None
) -> list[Campaign]:
    """Pause the running campaigns among these whose bounce rate since they (re)started is over
    their limit; returns them. Two queries when none is. Into `settled`, if given, go the ones
    that more sends cannot pause: no limit, or past MIN_ATTEMPTS and under it."""
    ids = set(campaign_ids)
    if not ids:
        return []
    campaigns = list(
        Campaign.objects.filter(pk__in=ids, status=Campaign.Status.RUNNING).select_related(
            "workspace"
        )
    )
    limited = [c for c in campaigns if c.bounce_limit > 0]
    if settled is not None:
        settled.update(c.pk for c in campaigns if c.bounce_limit == 0)
    totals = bounce_totals(c.pk for c in limited) if limited else {}
    paused = []
    for campaign in limited:
        tried, bounced = totals.get(campaign.pk, (0, 0))
        tried -= campaign.bounce_count_tried_before
        bounced -= campaign.bounce_count_bounced_before
        if tried < MIN_ATTEMPTS:
            continue
        if bounced * 100 <= campaign.bounce_limit * tried:
            if settled is not None:
                settled.add(campaign.pk)
            continue
        reason = _(
            "%(bounced)s of the %(tried)s emails it sent bounced (%(rate)s%%), over the limit of "
            "%(limit)s%%."
        ) % {
            "bounced": bounced,
            "tried": tried,
            "rate": f"{bounced * 100 / tried:.1f}",
            "limit": campaign.bounce_limit,
        }
        changed = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.RUNNING).update(
            status=Campaign.Status.PAUSED, paused_reason=reason
        )
        if changed:
            campaign.status, campaign.paused_reason = Campaign.Status.PAUSED, reason
            webhook_events.campaign_status_changed(
                campaign, before=Campaign.Status.RUNNING, reason=f"bounce_guard: {reason}"
            )
            _tell(campaign, reason)
            paused.append(campaign)
    return paused


def bounce_count_restart(*, campaign: Campaign) -> None:
    """From now on only what the campaign sends counts toward its bounce limit (on resume)."""
    tried, bounced = bounce_totals([campaign.pk]).get(campaign.pk, (0, 0))
    campaign.bounce_count_tried_before, campaign.bounce_count_bounced_before = tried, bounced
    campaign.paused_reason = ""
    campaign.save(
        update_fields=["bounce_count_tried_before", "bounce_count_bounced_before", "paused_reason"]
    )


def _tell(campaign: Campaign, reason: str) -> None:
    title = _("Campaign %(name)s was paused: too many bounces") % {"name": campaign.name}
    body = _(
        "%(reason)s Sending on to a list like this hurts your domains' reputation with every "
        "provider. Look at the bounced leads, clean the list, then resume: the count starts "
        "again from there."
    ) % {"reason": reason}
    # In the app and, for those who want it, by email once the pause is committed.
    campaign_notify_paused(campaign=campaign, guard="bounces", title=title, body=body)
