import pytest
from django.urls import reverse

from tests.conftest import enable_two_factor, make_user, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    return make_user("ops@example.com", is_staff=True, is_superuser=True)


def test_admin_refuses_staff_without_a_verified_device(client, operator):
    client.force_login(operator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_refuses_staff_whose_session_skipped_the_code(client, operator):
    enable_two_factor(operator)
    client.force_login(operator)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


def test_admin_opens_after_the_second_factor(client, operator):
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200


def test_operators_see_and_pause_any_campaign(client, operator, workspace_b):
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Campaign

    campaign = campaign_create(workspace=workspace_b, name="Someone's campaign")
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    Campaign.objects.create(
        workspace=workspace_b,
        name="Bad list",
        status="paused",
        paused_reason="40 of the 100 emails it sent bounced (40.0%), over the limit of 5%.",
    )
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    listing = client.get(reverse("admin:campaigns_campaign_changelist")).content.decode()
    assert "Someone&#x27;s campaign" in listing
    assert "40 of the 100 emails it sent bounced" in listing  # what Postigo paused, and why
    assert (
        client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).status_code
        == 200
    )
    assert client.get(reverse("admin:campaigns_outboundmessage_changelist")).status_code == 200
    client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "pause", "_selected_action": [campaign.pk]},
    )
    campaign.refresh_from_db()
    assert campaign.status == "paused"


def test_a_campaigns_status_changes_only_through_its_actions(client, operator, workspace_b):
    """Setting the status field directly would skip what pausing, stopping or launching does
    (stopping the leads' sequences; the launch checks and content filter): the form shows it,
    the actions change it."""
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Campaign, Enrollment, Lead

    campaign = campaign_create(workspace=workspace_b, name="Someone's campaign")
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    lead = Lead.objects.create(workspace=workspace_b, email="a@x.example")
    enrollment = Enrollment.objects.create(campaign=campaign, lead=lead)
    device, _codes = enable_two_factor(operator)
    client.force_login(operator)
    client.post(reverse("two_factor_login"), {"code": totp_now(device)})
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    assert 'name="status"' not in client.get(url).content.decode()
    client.post(url, {"name": "Renamed", "status": "completed", "bounce_limit": 5})
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("Renamed", "running")

    client.post(
        reverse("admin:campaigns_campaign_changelist"),
        {"action": "stop", "_selected_action": [campaign.pk]},
    )
    campaign.refresh_from_db()
    enrollment.refresh_from_db()
    assert (campaign.status, enrollment.status) == ("completed", "stopped")
