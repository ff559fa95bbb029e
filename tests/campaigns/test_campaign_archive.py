"""Archiving a campaign takes it out of the list with its numbers kept; only drafts can be
deleted; both are audited, permission-checked and invisible to other workspaces."""

import pytest
from django.urls import reverse

from accounts.models import AuditLog
from campaigns.authoring.services import AuthoringError, campaign_archive, campaign_create
from campaigns.models import Campaign, Step, Variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(workspace_a):
    return campaign_create(workspace=workspace_a, name="Spring draft")


@pytest.fixture
def stopped(workspace_a):
    campaign = campaign_create(workspace=workspace_a, name="Autumn run")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.COMPLETED)
    campaign.refresh_from_db()
    return campaign


def listed(client, query="") -> str:
    return client.get(reverse("campaign_list") + query).content.decode()


def test_an_archived_campaign_leaves_the_list_and_shows_under_archived(client, alice, stopped):
    client.force_login(alice)
    client.post(reverse("campaign_archive", args=[stopped.pk]))
    assert 'data-campaign="Autumn run"' not in listed(client)
    assert 'data-campaign="Autumn run"' in listed(client, "?show=archived")
    stopped.refresh_from_db()
    assert stopped.status == Campaign.Status.COMPLETED  # its state and numbers stay


def test_unarchiving_brings_it_back(client, alice, stopped):
    campaign_archive(campaign=stopped)
    client.force_login(alice)
    client.post(reverse("campaign_unarchive", args=[stopped.pk]))
    assert 'data-campaign="Autumn run"' in listed(client)
    assert AuditLog.objects.filter(action=AuditLog.Action.CAMPAIGN_UNARCHIVED).exists()


def test_archiving_is_audited(client, alice, stopped):
    client.force_login(alice)
    client.post(reverse("campaign_archive", args=[stopped.pk]))
    entry = AuditLog.objects.get(action=AuditLog.Action.CAMPAIGN_ARCHIVED)
    assert entry.user == alice and entry.metadata["campaign"] == "Autumn run"


@pytest.mark.parametrize("status", ["running", "paused"])
def test_a_campaign_still_sending_must_be_stopped_before_archiving(workspace_a, status):
    campaign = campaign_create(workspace=workspace_a, name="Live")
    campaign.status = status
    with pytest.raises(AuthoringError):
        campaign_archive(campaign=campaign)
    assert Campaign.objects.get(pk=campaign.pk).archived_at is None


def test_a_viewer_cannot_archive(client, vera, stopped):
    client.force_login(vera)
    assert client.post(reverse("campaign_archive", args=[stopped.pk])).status_code == 403
    stopped.refresh_from_db()
    assert stopped.archived_at is None


def test_another_workspace_cannot_archive(client, charlie, stopped):
    client.force_login(charlie)
    assert client.post(reverse("campaign_archive", args=[stopped.pk])).status_code == 404


def test_a_copy_of_an_archived_campaign_is_not_archived(client, alice, stopped):
    campaign_archive(campaign=stopped)
    client.force_login(alice)
    client.post(reverse("campaign_duplicate", args=[stopped.pk]))
    copy = Campaign.objects.exclude(pk=stopped.pk).get()
    assert copy.archived_at is None


def test_deleting_a_draft_asks_first_then_deletes_it_with_its_sequence(client, bob, draft):
    client.force_login(bob)
    url = reverse("campaign_delete", args=[draft.pk])
    asked = client.post(url).content.decode()
    assert "Delete the draft “Spring draft”?" in asked
    assert Campaign.objects.filter(pk=draft.pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not Campaign.objects.filter(pk=draft.pk).exists()
    assert not Step.objects.exists() and not Variant.objects.exists()
    entry = AuditLog.objects.get(action=AuditLog.Action.CAMPAIGN_DELETED)
    assert entry.metadata["campaign"] == "Spring draft"


def test_a_campaign_that_ran_cannot_be_deleted(client, alice, stopped):
    client.force_login(alice)
    client.post(reverse("campaign_delete", args=[stopped.pk]), {"confirmed": "1"})
    assert Campaign.objects.filter(pk=stopped.pk).exists()


def test_a_viewer_cannot_delete_a_draft(client, vera, draft):
    client.force_login(vera)
    url = reverse("campaign_delete", args=[draft.pk])
    assert client.post(url, {"confirmed": "1"}).status_code == 403
    assert Campaign.objects.filter(pk=draft.pk).exists()


def test_another_workspace_cannot_delete_a_draft(client, charlie, draft):
    client.force_login(charlie)
    url = reverse("campaign_delete", args=[draft.pk])
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    assert Campaign.objects.filter(pk=draft.pk).exists()


def test_a_new_campaign_is_scheduled_in_its_creators_time_zone(client, alice):
    alice.timezone = "Europe/Paris"
    alice.save()
    client.force_login(alice)
    client.post(reverse("campaign_list"), {"name": "Paris hours"})
    assert Campaign.objects.get().timezone == "Europe/Paris"
