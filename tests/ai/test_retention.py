"""Blocked snapshots are kept 12 months (the Terms' promise), then the privacy purge forgets."""

import datetime

import pytest
from django.utils import timezone

from ai.models import BlockedSnapshot
from ai.review import defang
from privacy.purge import purge_rule

pytestmark = pytest.mark.django_db


def snapshot(workspace, age_days):
    return BlockedSnapshot.objects.create(
        workspace=workspace, stage="launch", subject="s", body="b", provider="local",
        content_hash=f"h{age_days}", created_at=timezone.now() - datetime.timedelta(days=age_days),
    )  # fmt: skip


def test_a_snapshot_is_kept_for_a_year_then_forgotten(workspace_a):
    kept, just_kept = snapshot(workspace_a, 30), snapshot(workspace_a, 360)
    gone = snapshot(workspace_a, 370)
    purge_rule(key="blocked_snapshots")
    assert set(BlockedSnapshot.objects.values_list("pk", flat=True)) == {kept.pk, just_kept.pk}
    assert not BlockedSnapshot.objects.filter(pk=gone.pk).exists()


def test_links_are_defanged_and_html_is_escaped_for_the_operator():
    shown = defang('<a href="https://evil.example.com/login">Sign in</a>')
    assert shown == ("&lt;a href=&quot;hxxps://evil[.]example[.]com/login&quot;&gt;Sign in"
                     "&lt;/a&gt;")  # fmt: skip
