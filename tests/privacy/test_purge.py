"""The purge's machinery: batches, the daily task, the command, the operator's counters."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from postigo.celery import app as celery_app
from privacy import retention
from privacy.models import PurgeRun
from smtp_accounts.models import SendLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_logs(live_message):
    old = timezone.now() - timezone.timedelta(days=800)
    SendLog.objects.bulk_create(
        SendLog(
            mailbox_id=live_message.mailbox_id,
            recipient=f"r{i}@example.com",
            outcome="sent",
            created_at=old,
        )
        for i in range(250)
    )
    return old


def test_the_purge_deletes_in_batches_of_the_configured_size(old_logs, settings):
    settings.PRIVACY_PURGE_BATCH_SIZE = 100
    with CaptureQueriesContext(connection) as queries:
        call_command("purge_expired", rule=["send_logs"], stdout=io.StringIO())
    deletes = [q["sql"] for q in queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 100 + 100 + 50
    assert not SendLog.objects.filter(created_at=old_logs).exists()
    run = PurgeRun.objects.get(rule="send_logs")
    assert (run.deleted, run.batches, run.status) == (250, 3, "done")


def test_dry_run_says_what_would_go_per_rule_and_changes_nothing(old_logs):
    out = io.StringIO()
    call_command("purge_expired", dry_run=True, stdout=out)
    text = out.getvalue()
    assert "send_logs: 250 smtp_accounts.SendLog rows would go" in text
    assert "kept 12 months" in text
    assert (
        "blocked_snapshots: skipped (not installed)" in text
        or retention.rule("blocked_snapshots").installed
    )
    assert SendLog.objects.filter(created_at=old_logs).count() == 250


def test_beat_runs_the_purge_daily_and_it_runs_one_task_per_rule(old_logs):
    entry = celery_app.conf.beat_schedule["purge-expired-data"]
    assert entry["task"] == "privacy.tasks.purge_expired"
    assert entry["schedule"].hour == {3}

    from privacy.tasks import purge_expired

    purge_expired.delay()  # eager in tests: runs each rule's task

    assert set(PurgeRun.objects.values_list("rule", flat=True)) == {
        rule.key for rule in retention.rules()
    }
    assert not SendLog.objects.filter(created_at=old_logs).exists()


def test_running_the_purge_twice_is_harmless(old_logs):
    from privacy.purge import purge_rule

    first = purge_rule(key="send_logs")
    second = purge_rule(key="send_logs")
    assert (first.deleted, second.deleted) == (250, 0)


def test_a_rule_already_being_purged_elsewhere_is_skipped(old_logs):
    from django.core.cache import cache

    from privacy.purge import purge_rule

    cache.add("privacy:purge:send_logs", "1")
    assert purge_rule(key="send_logs") is None
    assert SendLog.objects.filter(created_at=old_logs).count() == 250


def test_the_operator_sees_what_each_rule_removed(old_logs, operator_client):
    from privacy.purge import purge_rule

    purge_rule(key="send_logs")
    page = operator_client.get(reverse("admin:privacy_purgerun_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "send_logs" in body and ">250<" in body


def test_an_expired_campaign_goes_leaves_first_in_batches_never_all_at_once(workspace_a, settings):
    from campaigns.models import Campaign, Event
    from tests.privacy.factories import make_campaign

    settings.PRIVACY_PURGE_BATCH_SIZE = 100
    old = timezone.now() - timezone.timedelta(days=800)
    campaign = make_campaign(workspace_a, at=old)
    Event.objects.bulk_create(
        Event(message=campaign.message, kind="open", created_at=old) for _ in range(250)
    )
    table = Event._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        call_command("purge_expired", rule=["campaigns"], stdout=io.StringIO())
    event_deletes = [q["sql"] for q in queries if q["sql"].startswith(f'DELETE FROM "{table}"')]
    assert len(event_deletes) >= 3  # 251 events, 100 at a time
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert not Event.objects.exists()


def test_a_campaign_touched_while_its_old_rows_are_going_is_kept(workspace_a, settings):
    """Someone edits the campaign while the purge deletes its events (a pre_delete receiver is
    the moment): the expiry is asked again before the next dependants and before the row."""
    from django.db.models.signals import pre_delete

    from campaigns.models import Campaign, Event, OutboundMessage
    from tests.privacy.factories import make_campaign

    settings.PRIVACY_PURGE_BATCH_SIZE = 100
    old = timezone.now() - timezone.timedelta(days=800)
    campaign = make_campaign(workspace_a, at=old)
    Event.objects.bulk_create(
        Event(message=campaign.message, kind="open", created_at=old) for _ in range(5)
    )

    def someone_edits_it(sender, **kwargs):
        Campaign.objects.filter(pk=campaign.pk).update(updated_at=timezone.now())

    pre_delete.connect(someone_edits_it, sender=Event, dispatch_uid="test.edit")
    try:
        call_command("purge_expired", rule=["campaigns"], stdout=io.StringIO())
    finally:
        pre_delete.disconnect(dispatch_uid="test.edit", sender=Event)
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    assert OutboundMessage.objects.filter(pk=campaign.message.pk).exists()
