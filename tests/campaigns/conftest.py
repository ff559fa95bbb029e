import datetime

import pytest
import time_machine

from campaigns.models import OutboundMessage
from campaigns.sending.launch import campaign_launch
from tests.factories import START, build, read_from, run_until, sink_mailbox


@pytest.fixture
def mailbox(workspace_a, smtp_server):
    return sink_mailbox(workspace_a, smtp_server, daily_cap=1000, hourly_cap=1000)


def counters_by_key() -> dict:
    """Every campaign's counters summed per (campaign, step, variant, mailbox), zeros left out."""
    from campaigns.models import METRICS, CampaignStat

    key = ("campaign_id", "step_id", "variant_id", "mailbox_id")
    totals: dict = {}
    for row in CampaignStat.objects.values(*key, *METRICS):
        bucket = totals.setdefault(tuple(row[k] for k in key), dict.fromkeys(METRICS, 0))
        for metric in METRICS:
            bucket[metric] += row[metric]
    return {k: {m: n for m, n in v.items() if n} for k, v in totals.items() if any(v.values())}


@pytest.fixture(autouse=True)
def _counters_agree_with_the_rows(request):
    """After every database test here: the counters kept along the way equal a recount."""
    yield
    if request.node.get_closest_marker("django_db") is None:
        return
    from django.db import transaction

    from campaigns.models import Campaign
    from campaigns.stats import stats_rebuild

    live = counters_by_key()
    with transaction.atomic():
        stats_rebuild(Campaign.objects.values_list("pk", flat=True))
        recounted = counters_by_key()
        transaction.set_rollback(True)
    assert live == recounted


@pytest.fixture
def sent(workspace_a, mailbox, smtp_server, imap_server):
    read_from(mailbox, imap_server)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=6, steps=2)
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return campaign, {m.recipient: m for m in OutboundMessage.objects.all()}
