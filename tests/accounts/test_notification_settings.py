"""Each person chooses where each kind of notification reaches them; the digest; the emails."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.digest import digest_send, digests_due
from accounts.models import Notification, NotificationDigest, NotificationKind
from accounts.notifications import notification_preferences_set, notify

PAUSED = NotificationKind.PAUSED


def tell(workspace, **extra):
    return notify(
        workspace=workspace, kind=PAUSED, title="Campaign Q4 was paused: too many bounces",
        body="Clean the list, then resume.", url="/campaigns/7/report/", level="error", **extra,
    )  # fmt: skip


def test_by_default_owners_get_pauses_by_email_and_members_in_the_app_only(
    workspace_a, alice, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a)
    assert Notification.objects.filter(user__in=[alice, bob], in_app=True).count() == 2
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_off_means_no_notification_and_no_email(
    workspace_a, alice, django_capture_on_commit_callbacks
):
    notification_preferences_set(user=alice, channels={PAUSED: "off"})
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a)
    assert not Notification.objects.exists() and mail.outbox == []


def test_email_only_sends_the_email_and_keeps_the_bell_quiet(
    client, workspace_a, alice, django_capture_on_commit_callbacks
):
    notification_preferences_set(user=alice, channels={PAUSED: "email"})
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a)
    assert len(mail.outbox) == 1
    client.force_login(alice)
    page = client.get(reverse("notification_list")).content.decode()
    assert "too many bounces" not in page


def test_app_only_keeps_the_email_away_from_an_owner(
    client, workspace_a, alice, django_capture_on_commit_callbacks
):
    notification_preferences_set(user=alice, channels={PAUSED: "app"})
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a)
    assert mail.outbox == []
    client.force_login(alice)
    assert "too many bounces" in client.get(reverse("notification_list")).content.decode()


def test_the_same_event_is_told_once(workspace_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a, key="campaign_paused:7:bounces")
        tell(workspace_a, key="campaign_paused:7:bounces")
    assert Notification.objects.filter(user=alice).count() == 1
    assert len(mail.outbox) == 1


def test_the_notification_email_has_text_and_html_parts_that_agree(
    workspace_a, alice, settings, django_capture_on_commit_callbacks
):
    settings.PRODUCT_NAME = "Acme Reach"
    settings.DEFAULT_FROM_EMAIL = "Acme Reach <hello@reach.example>"
    with django_capture_on_commit_callbacks(execute=True):
        tell(workspace_a)
    [message] = mail.outbox
    assert message.from_email == "Acme Reach <hello@reach.example>"
    assert message.subject == "[Acme Reach] Campaign Q4 was paused: too many bounces"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    link = settings.PUBLIC_BASE_URL + "/campaigns/7/report/"
    for part in (message.body, html):
        assert "Campaign Q4 was paused: too many bounces" in part
        assert "Clean the list, then resume." in part
        assert link in part and "Acme Reach" in part
    assert "<" not in message.body  # the text part reads as text
    assert not re.search(
        r"""(src|href)=["']https?://(?!localhost|testserver)""",
        html.replace(settings.PUBLIC_BASE_URL, "http://localhost"),
    )  # no remote assets


def test_the_settings_page_saves_each_kind_and_the_digest(client, alice):
    client.force_login(alice)
    page = client.get(reverse("settings_notifications"))
    assert page.status_code == 200 and "daily digest" in page.content.decode()
    data = {f"kind_{kind}": "app" for kind in NotificationKind.values}
    data[f"kind_{NotificationKind.INTERESTED_REPLY}"] = "off"
    data["digest"] = "on"
    assert client.post(reverse("settings_notifications"), data).status_code == 302
    alice.refresh_from_db()
    assert alice.notification_digest
    assert alice.notification_preferences.get(kind=NotificationKind.INTERESTED_REPLY).channel == (
        "off"
    )


def test_a_bad_choice_is_refused_in_place_and_nothing_is_saved(client, alice):
    client.force_login(alice)
    data = {f"kind_{kind}": "app" for kind in NotificationKind.values}
    data[f"kind_{PAUSED}"] = "carrier-pigeon"
    response = client.post(reverse("settings_notifications"), data)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not alice.notification_preferences.exists()


def test_the_settings_page_needs_a_sign_in(client, db):
    response = client.get(reverse("settings_notifications"))
    assert response.status_code == 302 and "login" in response["Location"]


# --- the daily digest ---------------------------------------------------------------------

MORNING = datetime.datetime(2026, 12, 7, 7, 0, tzinfo=datetime.UTC)  # 08:00 in Paris


@pytest.fixture
def subscriber(alice):
    alice.notification_digest = True
    alice.timezone = "Europe/Paris"
    alice.save()
    return alice


def test_the_digest_is_due_at_eight_in_the_persons_time_zone(subscriber, bob):
    bob.notification_digest = True
    bob.timezone = "America/New_York"
    bob.save()
    assert digests_due(MORNING) == [(subscriber.pk, datetime.date(2026, 12, 7))]
    assert digests_due(MORNING + datetime.timedelta(hours=6)) == [
        (bob.pk, datetime.date(2026, 12, 7))
    ]


def test_the_digest_sums_up_the_last_day_and_goes_once(workspace_a, subscriber):
    with time_machine.travel(MORNING - datetime.timedelta(days=2), tick=False):
        notify(workspace=workspace_a, title="Too old to tell")
    with time_machine.travel(MORNING - datetime.timedelta(hours=3), tick=False):
        notify(workspace=workspace_a, title="Import into Prospects finished",
               kind=NotificationKind.IMPORT_FINISHED, url="/leads/imports/3/")  # fmt: skip
        tell(workspace_a)
    assert digest_send(user_id=subscriber.pk, day="2026-12-07", now=MORNING)
    assert not digest_send(user_id=subscriber.pk, day="2026-12-07", now=MORNING)
    [message] = mail.outbox
    assert message.subject.endswith("2 notifications")
    [(html, _mimetype)] = message.alternatives
    for part in (message.body, html):
        assert "Import into Prospects finished" in part and "too many bounces" in part
        assert "Too old to tell" not in part
        assert workspace_a.name in part
    assert NotificationDigest.objects.get(user=subscriber).items == 2
    assert digests_due(MORNING) == []


def test_a_quiet_day_sends_no_digest(subscriber):
    assert not digest_send(user_id=subscriber.pk, day="2026-12-07", now=MORNING)
    assert mail.outbox == [] and NotificationDigest.objects.get().items == 0


def test_no_digest_for_someone_who_did_not_ask(workspace_a, alice):
    notify(workspace=workspace_a, title="Something happened")
    assert digests_due(MORNING) == []
    assert not digest_send(user_id=alice.pk, day="2026-12-07", now=MORNING)
    assert mail.outbox == []
