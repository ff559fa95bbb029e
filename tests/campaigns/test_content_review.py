"""The content filter in a campaign's life: held at launch → snapshot → operator decides; a
phishing merge value caught at send; a suspended or owner-deactivated workspace sends nothing."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from ai.models import BlockedSnapshot, Review
from ai.review import snapshot_confirm, snapshot_release, workspace_restore, workspace_suspend
from campaigns.authoring.services import variant_save
from campaigns.models import Campaign, Lead, OutboundMessage
from campaigns.sending.delivery import messages_send
from campaigns.sending.dispatch import messages_claim
from campaigns.sending.launch import LaunchError, campaign_launch
from tests.conftest import enable_two_factor, make_user, totp_now
from tests.factories import START, build, run_until

pytestmark = pytest.mark.django_db
PHISH = ("<p>Hi {{first_name}}, your account will be {suspended|closed} within 24 hours. "
         "Verify your account at http://paypa1-secure.com/login</p>")  # fmt: skip


@pytest.fixture
def operator(db):
    return make_user("ops@example.com", is_staff=True, is_superuser=True)


def held_campaign(workspace, mailbox):
    campaign = build(workspace, mailbox)
    variant_save(variant=campaign.steps.get(position=1).variants.first(),
                 subject="Security notice", body_html=PHISH, weight=1)  # fmt: skip
    with time_machine.travel(START, tick=False), pytest.raises(LaunchError) as caught:
        campaign_launch(campaign=campaign)
    assert "Held for review" in str(caught.value)
    campaign.refresh_from_db()
    return campaign


def test_an_abusive_variant_holds_the_campaign_with_a_snapshot(workspace_a, mailbox):
    campaign = held_campaign(workspace_a, mailbox)
    assert campaign.held_at and campaign.status == "draft"
    assert "possible phishing" in campaign.paused_reason
    snapshot = BlockedSnapshot.objects.filter(campaign_id=campaign.pk).first()
    assert snapshot.stage == "launch" and snapshot.status == "held"
    assert snapshot.links == ["http://paypa1-secure.com/login"]
    assert "phishing" in snapshot.categories and snapshot.provider == "local"
    assert not campaign.enrollments.exists()


def test_every_spintax_option_is_checked(workspace_a, mailbox):
    campaign = build(workspace_a, mailbox)
    variant_save(variant=campaign.steps.get(position=1).variants.first(), subject="Hello",
                 body_html="<p>{Thanks for reading|Buy 5 Apple gift cards and send me the "
                           "codes} today</p>", weight=1)  # fmt: skip
    with time_machine.travel(START, tick=False), pytest.raises(LaunchError):
        campaign_launch(campaign=campaign)
    bodies = BlockedSnapshot.objects.filter(campaign_id=campaign.pk).values_list(
        "body", "categories"
    )
    rendered = [(body[:57], cats) for body, cats in bodies if "|" not in body]
    assert rendered == [("<p>Buy 5 Apple gift cards and send me the codes today</p>", ["fraud"])]


def test_a_held_campaign_cannot_be_launched_again_until_reviewed(workspace_a, mailbox):
    campaign = held_campaign(workspace_a, mailbox)
    with pytest.raises(LaunchError, match="Held for review"):
        campaign_launch(campaign=campaign)


def test_release_resumes_sending_and_the_same_content_is_not_held_again(
    workspace_a, alice, mailbox, smtp_server, operator, django_capture_on_commit_callbacks
):
    campaign = held_campaign(workspace_a, mailbox)
    snapshots = BlockedSnapshot.objects.filter(campaign_id=campaign.pk)
    with time_machine.travel(START, tick=False), django_capture_on_commit_callbacks(execute=True):
        snapshot_release(snapshot=snapshots.first(), operator=operator, reason="A real bank.")
    campaign.refresh_from_db()
    assert campaign.status == "running" and campaign.held_at is None
    assert set(snapshots.values_list("status", flat=True)) == {"released"}
    assert run_until(START + datetime.timedelta(hours=1, minutes=1)) == 4
    assert len(smtp_server.received) == 4
    review = Review.objects.get()
    assert (review.decision, review.operator, review.reason) == ("release", operator,
                                                                 "A real bank.")  # fmt: skip
    assert Notification.objects.filter(user=alice, title__contains="released").exists()


def test_confirm_keeps_the_content_blocked_and_tells_the_user_why(
    workspace_a, alice, mailbox, operator, django_capture_on_commit_callbacks
):
    campaign = held_campaign(workspace_a, mailbox)
    snapshot = BlockedSnapshot.objects.filter(campaign_id=campaign.pk).first()
    with django_capture_on_commit_callbacks(execute=True):
        snapshot_confirm(snapshot=snapshot, operator=operator, reason="Imitates a bank login.")
    campaign.refresh_from_db()
    assert campaign.held_at is not None
    snapshot.refresh_from_db()
    assert snapshot.status == "confirmed"
    note = Notification.objects.get(user=alice, title__contains="stays blocked")
    assert "Imitates a bank login." in note.body
    assert mail.outbox[-1].to == [alice.email] and "stays blocked" in mail.outbox[-1].subject


def test_a_merge_value_holding_a_phishing_link_is_caught_at_send(workspace_a, mailbox,
                                                                  smtp_server):  # fmt: skip
    campaign = build(workspace_a, mailbox, steps=1)
    for variant in campaign.steps.get().variants.all():
        variant_save(variant=variant, subject="Hi {{first_name}}",
                     body_html="<p>A note for {{company|your team}}</p>", weight=1)  # fmt: skip
    Lead.objects.filter(email="lead0@x.example").update(
        company="Verify your account now: http://185.22.14.7/login.php"
    )
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    received = {r.rcpt_tos[0] for r in smtp_server.received}
    assert "lead0@x.example" not in received
    # Not sent: the lead is back with its enrollment, due when the campaign resumes.
    assert not OutboundMessage.objects.filter(recipient="lead0@x.example").exists()
    enrollment = campaign.enrollments.get(lead__email="lead0@x.example")
    assert enrollment.status == "active" and enrollment.next_due_at is not None
    campaign.refresh_from_db()
    assert campaign.held_at and campaign.status == "paused"
    assert "merge values (lead0@x.example)" in campaign.paused_reason
    assert BlockedSnapshot.objects.get().stage == "send"


def test_a_value_the_message_does_not_show_does_not_hold_it(workspace_a, mailbox, smtp_server):
    campaign = build(workspace_a, mailbox, steps=1)  # its templates name {{first_name}} only
    Lead.objects.filter(email="lead0@x.example").update(
        title="Verify your account now: http://185.22.14.7/login.php"
    )
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    assert "lead0@x.example" in {r.rcpt_tos[0] for r in smtp_server.received}
    assert b"185.22.14.7" not in b"".join(r.data for r in smtp_server.received)
    campaign.refresh_from_db()
    assert not campaign.held_at and not BlockedSnapshot.objects.exists()


def test_leads_sharing_an_abusive_value_are_none_of_them_sent(workspace_a, mailbox, smtp_server):
    campaign = build(workspace_a, mailbox, steps=1)
    for variant in campaign.steps.get().variants.all():
        variant_save(variant=variant, subject="Hi {{first_name}}",
                     body_html="<p>About {{company}}</p>", weight=1)  # fmt: skip
    Lead.objects.filter(email__in=["lead0@x.example", "lead1@x.example"]).update(
        company="Enter your password at http://185.22.14.7/login.php"
    )
    Lead.objects.filter(email__in=["lead2@x.example", "lead3@x.example"]).update(company="Acme")
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    received = {r.rcpt_tos[0] for r in smtp_server.received}
    assert not received & {"lead0@x.example", "lead1@x.example"}
    held_back = ["lead0@x.example", "lead1@x.example"]
    assert not OutboundMessage.objects.filter(recipient__in=held_back).exists()
    campaign.refresh_from_db()
    assert campaign.held_at and campaign.status == "paused"


def test_a_suspended_workspace_claims_nothing(workspace_a, alice, mailbox, operator):
    campaign = build(workspace_a, mailbox)
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    workspace_suspend(workspace=workspace_a, operator=operator, reason="Phishing.")
    campaign.refresh_from_db()
    assert campaign.status == "paused" and "suspended" in campaign.paused_reason
    Campaign.objects.filter(pk=campaign.pk).update(status="running")  # even if resumed
    assert run_until(START + datetime.timedelta(hours=2)) == 0
    assert messages_claim(mailbox_id=mailbox.pk, now=START + datetime.timedelta(hours=2)) == []
    with pytest.raises(LaunchError, match="suspended"):
        Campaign.objects.filter(pk=campaign.pk).update(status="paused")
        campaign_launch(campaign=Campaign.objects.get(pk=campaign.pk))


def test_suspension_after_the_claim_stops_the_send(workspace_a, alice, mailbox, smtp_server,
                                                   operator):  # fmt: skip
    campaign = build(workspace_a, mailbox)
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    claimed = messages_claim(mailbox_id=mailbox.pk, now=START + datetime.timedelta(hours=2))
    assert claimed
    workspace_suspend(workspace=workspace_a, operator=operator, reason="Phishing.")
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    messages_send(mailbox_id=mailbox.pk, message_ids=claimed)
    assert smtp_server.received == []
    assert not OutboundMessage.objects.exists()  # unclaimed: back with their enrollments


def test_restoring_lifts_the_suspension(workspace_a, alice, mailbox, smtp_server, operator):
    workspace_suspend(workspace=workspace_a, operator=operator, reason="Phishing.")
    workspace_restore(workspace=workspace_a, operator=operator, reason="Appeal accepted.")
    campaign = build(workspace_a, mailbox)
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    assert run_until(START + datetime.timedelta(hours=1, minutes=1)) == 4
    assert list(Review.objects.values_list("decision", flat=True)) == ["restore", "suspend"]


def test_a_workspace_whose_only_owner_is_deactivated_sends_nothing(workspace_a, alice, mailbox):
    campaign = build(workspace_a, mailbox)
    with time_machine.travel(START, tick=False):
        campaign_launch(campaign=campaign)
    alice.is_active = False
    alice.save()
    assert run_until(START + datetime.timedelta(hours=2)) == 0


def test_the_operator_reviews_in_the_admin_with_links_defanged(client, workspace_a, mailbox,
                                                               operator):  # fmt: skip
    campaign = held_campaign(workspace_a, mailbox)
    snapshot = BlockedSnapshot.objects.filter(campaign_id=campaign.pk).first()
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    queue = client.get(reverse("admin:ai_blockedsnapshot_changelist")).content.decode()
    assert "Security notice" in queue
    page = client.get(reverse("admin:ai_blockedsnapshot_change", args=[snapshot.pk]))
    html = page.content.decode()
    assert "hxxp://paypa1-secure[.]com/login" in html
    assert 'href="http://paypa1' not in html and "http://paypa1" not in html
    refused = client.post(reverse("admin:ai_blockedsnapshot_decide", args=[snapshot.pk]),
                          {"decision": "release", "reason": ""})  # fmt: skip
    assert refused.status_code == 400
    client.post(reverse("admin:ai_blockedsnapshot_decide", args=[snapshot.pk]),
                {"decision": "suspend", "reason": "Bank phishing."})  # fmt: skip
    workspace_a.refresh_from_db()
    assert workspace_a.suspended_at and workspace_a.suspension_reason == "Bank phishing."
    assert Review.objects.get().operator == operator


def test_the_campaign_pages_name_the_hold_and_what_to_do(client, workspace_a, alice, mailbox):
    campaign = held_campaign(workspace_a, mailbox)
    client.force_login(alice)
    report = client.get(reverse("campaign_report", args=[campaign.pk])).content.decode()
    assert "data-held-for-review" in report and "possible phishing" in report
    assert "edit the flagged step" in report
    listing = client.get(reverse("campaign_list")).content.decode()
    assert "Held for review" in listing


def test_a_suspended_workspace_sees_a_banner(client, workspace_a, alice, operator):
    workspace_suspend(workspace=workspace_a, operator=operator, reason="Phishing reports.")
    client.force_login(alice)
    page = client.get(reverse("campaign_list")).content.decode()
    assert "This workspace is suspended." in page and "Phishing reports." in page
