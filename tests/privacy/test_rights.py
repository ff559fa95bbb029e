"""Self-service rights: export, restriction, objection, and forgetting one recipient."""

from __future__ import annotations

import datetime
import io
import json
import zipfile

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Notification
from campaigns.leads.suppression import is_suppressed
from campaigns.models import (
    Campaign,
    Event,
    Lead,
    LeadImport,
    LeadList,
    OutboundMessage,
    Reply,
    Suppression,
    value_hash,
)
from campaigns.sending.launch import launch_problems
from campaigns.tracking.buffer import OPEN, Hit
from campaigns.tracking.flush import record_hits
from privacy import services
from privacy.models import DataExport
from smtp_accounts.models import SendLog
from tests.conftest import dump_every_table
from tests.privacy.factories import make_campaign

pytestmark = pytest.mark.django_db

SECRETS = ("s3cret-smtp-Passw0rd", "s3cret-imap-Passw0rd")


@pytest.fixture
def campaign(workspace_a):
    campaign = make_campaign(workspace_a, at=timezone.now(), recipient="lena@example.com")
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    Suppression.objects.create(
        workspace=workspace_a, value="gone@example.com", reason="unsubscribed"
    )
    return campaign


def build_export(client, capture):
    with capture(execute=True):
        client.post(reverse("privacy_export_create"))
    return DataExport.objects.latest("created_at")


def open_zip(client, export) -> zipfile.ZipFile:
    response = client.get(reverse("privacy_export_download", args=[export.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


# --- Export --------------------------------------------------------------------------------------


def test_the_export_holds_the_user_and_their_workspace_as_json_and_csv(
    client, alice, campaign, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = build_export(client, django_capture_on_commit_callbacks)
    assert export.status == "ready" and export.progress == 100

    archive = open_zip(client, export)
    names = set(archive.namelist())
    folder = f"workspaces/{campaign.workspace_id}-acme-outreach/"
    for table in (
        "leads",
        "campaigns",
        "steps",
        "variants",
        "messages",
        "replies",
        "events",
        "suppressions",
        "mailboxes",
        "send_logs",
        "lead_lists",
        "audit_log",
    ):
        assert f"{folder}{table}.json" in names and f"{folder}{table}.csv" in names
    assert json.loads(archive.read("profile.json"))[0]["email"] == "alice@example.com"
    leads = json.loads(archive.read(f"{folder}leads.json"))
    assert [lead["email"] for lead in leads] == ["lena@example.com"]
    messages = json.loads(archive.read(f"{folder}messages.json"))
    assert messages[0]["body_html"] == campaign.message.body_html
    replies = archive.read(f"{folder}replies.csv").decode()
    assert "Sure, write to lena@example.com" in replies
    suppressed = {row["value"] for row in json.loads(archive.read(f"{folder}suppressions.json"))}
    assert suppressed == {"gone@example.com"}
    assert "Acme outreach" in archive.read("memberships.csv").decode()


def test_the_export_holds_no_secret(client, alice, campaign, django_capture_on_commit_callbacks):
    client.force_login(alice)
    archive = open_zip(client, build_export(client, django_capture_on_commit_callbacks))
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    for secret in SECRETS:
        assert secret not in everything
    assert "smtp_password" not in everything and "imap_password" not in everything
    assert "enc:" not in everything and "password" not in json.dumps(
        json.loads(archive.read("profile.json"))
    )


def test_only_the_owner_of_an_export_may_download_it(
    client, alice, bob, campaign, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = build_export(client, django_capture_on_commit_callbacks)
    client.force_login(bob)
    url = reverse("privacy_export_download", args=[export.token])
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to sign in


def test_the_export_link_expires_after_7_days(
    client, alice, campaign, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = build_export(client, django_capture_on_commit_callbacks)
    url = reverse("privacy_export_download", args=[export.token])
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        client.force_login(alice)
        assert client.get(url).status_code == 404


def test_each_export_step_is_in_the_audit_log(
    client, alice, campaign, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = build_export(client, django_capture_on_commit_callbacks)
    open_zip(client, export)
    actions = set(AuditLog.objects.filter(user=alice).values_list("action", flat=True))
    assert {"export_requested", "export_ready", "export_downloaded"} <= actions


def test_the_privacy_page_shows_the_export_and_its_link(
    client, alice, campaign, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    export = build_export(client, django_capture_on_commit_callbacks)
    page = client.get(reverse("privacy_settings")).content.decode()
    assert reverse("privacy_export_download", args=[export.token]) in page
    row = client.get(reverse("privacy_export_status", args=[export.pk])).content.decode()
    assert 'data-status="ready"' in row


def test_a_pending_export_is_polled_with_its_progress(client, alice, campaign):
    client.force_login(alice)
    export = DataExport.objects.create(user=alice, status="running", progress=40, step="Leads")
    row = client.get(reverse("privacy_export_status", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in row and "40%" in row and "Leads" in row


# --- Restriction and objection --------------------------------------------------------------------


def hit_on(message) -> Hit:
    return Hit(f"t{message.pk}", OPEN, message.token, None, "Mozilla/5.0 (X11)", timezone.now())


def test_restricting_pauses_campaigns_stops_tracking_and_launches(client, alice, campaign):
    client.force_login(alice)
    client.post(reverse("privacy_restriction"), {"reason": "contesting accuracy"})

    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert any("restricted" in p.message for p in launch_problems(campaign))
    before = Event.objects.count()
    record_hits([hit_on(campaign.message)])
    assert Event.objects.count() == before
    assert not services.ai_allowed(campaign.workspace_id)
    assert AuditLog.objects.filter(action="restriction_set", workspace=campaign.workspace).exists()


def test_lifting_the_restriction_lets_campaigns_launch_and_tracking_record(client, alice, campaign):
    client.force_login(alice)
    client.post(reverse("privacy_restriction"))
    client.post(reverse("privacy_restriction"), {"lift": "1"})

    assert not any("restricted" in p.message for p in launch_problems(campaign))
    before = Event.objects.count()
    record_hits([hit_on(campaign.message)])
    assert Event.objects.count() == before + 1
    assert AuditLog.objects.filter(action="restriction_lifted").exists()


def test_only_an_owner_restricts(client, bob, alice, campaign):
    client.force_login(bob)
    client.post(reverse("privacy_restriction"))
    assert not services.is_restricted(campaign.workspace_id)


def test_objecting_to_analytics_records_no_opens_and_to_ai_is_stored(client, alice, campaign):
    client.force_login(alice)
    client.post(reverse("privacy_objection"), {"ai": "on", "analytics": "on"})
    assert services.objects_to_ai(campaign.workspace_id)
    before = Event.objects.count()
    record_hits([hit_on(campaign.message)])
    assert Event.objects.count() == before
    entry = AuditLog.objects.get(action="objection_changed")
    assert entry.metadata == {"ai": True, "analytics": True}

    client.post(reverse("privacy_objection"), {})
    assert not services.objects_to_ai(campaign.workspace_id)
    assert services.tracking_allowed(campaign.workspace_id)


def test_a_profile_correction_is_audited_with_the_fields_not_the_values(client, alice):
    client.force_login(alice)
    client.post(
        reverse("settings_profile"),
        {"name": "Alice Archer-Smith", "timezone": "UTC", "language": "en", "theme": "system"},
    )
    entry = AuditLog.objects.get(action="profile_corrected")
    assert entry.metadata == {"fields": ["name"]}


# --- Forgetting one recipient --------------------------------------------------------------------


@pytest.fixture
def lena(campaign, workspace_a, alice):
    """Everything the workspace holds about lena@example.com."""
    address = "lena@example.com"
    lead_list = LeadList.objects.create(workspace=workspace_a, name="Fair leads")
    LeadImport.objects.create(
        workspace=workspace_a,
        lead_list=lead_list,
        filename="fair.csv",
        data=b"email,first_name\nLena@Example.com,Lena\nmax@example.com,Max\n",
        encoding="utf-8",
        delimiter=",",
        header=["email", "first_name"],
        status="done",
        problems=[{"row": 2, "reason": "lena@example.com is a duplicate"}],
    )
    Suppression.objects.create(workspace=workspace_a, value=address, reason="unsubscribed")
    Notification.objects.create(
        workspace=workspace_a, user=alice, title=f"Reply from {address}", body=f"{address} wrote"
    )
    SendLog.objects.create(
        mailbox_id=campaign.message.mailbox_id, recipient="LENA@example.com", outcome="sent"
    )
    return address


def test_forgetting_an_address_leaves_no_trace_of_it_in_the_database(client, alice, lena):
    client.force_login(alice)
    assert lena in dump_every_table().lower()

    response = client.post(reverse("privacy_forget"), {"email": "Lena@Example.com"})

    assert response.status_code == 302
    dump = dump_every_table().lower()
    assert lena not in dump
    assert value_hash(lena) in dump  # what remains: the suppression hash
    assert "max@example.com" in dump  # the rest of the uploaded file stays


def test_a_forgotten_address_is_never_mailed_again(client, alice, lena, workspace_a):
    client.force_login(alice)
    client.post(reverse("privacy_forget"), {"email": lena})
    assert is_suppressed(workspace_a, lena)
    assert is_suppressed(workspace_a, "LENA@example.com")
    entry = Suppression.objects.get(workspace=workspace_a, value_hash=value_hash(lena))
    assert entry.value == ""


def test_forgetting_an_address_never_on_the_list_still_suppresses_it(client, alice, workspace_a):
    client.force_login(alice)
    client.post(reverse("privacy_forget"), {"email": "never@example.com"})
    assert is_suppressed(workspace_a, "never@example.com")


def test_forgetting_is_audited_by_hash_only(client, alice, lena):
    client.force_login(alice)
    client.post(reverse("privacy_forget"), {"email": lena})
    entry = AuditLog.objects.get(action="recipient_erased")
    assert entry.metadata["address_sha256"] == value_hash(lena)
    assert lena not in json.dumps(entry.metadata)
    assert entry.metadata["erased"]["leads"] == 1


def test_forgetting_touches_only_this_workspace(client, alice, lena, workspace_b):
    other = make_campaign(workspace_b, at=timezone.now(), recipient=lena)
    client.force_login(alice)
    client.post(reverse("privacy_forget"), {"email": lena})
    assert Lead.objects.filter(workspace=workspace_b, email=lena).exists()
    assert OutboundMessage.objects.filter(pk=other.message.pk).exists()
    assert Reply.objects.filter(message=other.message).exists()


def test_a_member_cannot_forget_a_recipient(client, bob, lena, workspace_a):
    client.force_login(bob)
    client.post(reverse("privacy_forget"), {"email": lena})
    assert Lead.objects.filter(workspace=workspace_a, email=lena).exists()


def test_a_malformed_address_is_refused_with_a_message(client, alice, lena):
    client.force_login(alice)
    response = client.post(reverse("privacy_forget"), {"email": "not an address"}, follow=True)
    assert "Enter the email address to forget" in response.content.decode()
    assert Lead.objects.filter(email=lena).exists()


def test_another_users_export_progress_is_a_404(client, alice, bob):
    export = DataExport.objects.create(user=alice, status="running", progress=10)
    client.force_login(bob)
    assert client.get(reverse("privacy_export_status", args=[export.pk])).status_code == 404


def test_asking_twice_while_one_export_is_pending_builds_one(client, alice):
    client.force_login(alice)
    DataExport.objects.create(user=alice, status="queued")
    client.post(reverse("privacy_export_create"))
    assert DataExport.objects.filter(user=alice).count() == 1
