"""The Review page's warnings (they never block a launch) and its forecast."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.authoring.services import variant_save
from campaigns.sending.launch import launch_problems
from campaigns.sending.warnings import launch_warnings
from smtp_accounts.models import DomainCheck
from tests.factories import build, first_variant, make_mailbox

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def failing(check: str, level="error", transient=False) -> dict:
    return {"key": check, "check": check, "level": level, "title": "x", "transient": transient}


@pytest.fixture
def mailbox(workspace_a):
    return make_mailbox(workspace_a, signature_text="Alice")


@pytest.fixture
def campaign(workspace_a, mailbox):
    return build(workspace_a, mailbox, 3, timezone="Europe/Paris", send_days="0")


def messages(campaign) -> list[str]:
    return [w.message for w in launch_warnings(campaign)]


def test_a_well_set_campaign_has_no_warning(campaign):
    assert messages(campaign) == []


def test_a_mailbox_without_imap_warns_that_replies_go_unread(campaign, mailbox):
    mailbox.imap_host = ""
    mailbox.save()
    [warning] = launch_warnings(campaign)
    assert "sender@acme.example has no IMAP" in warning.message
    assert "follow-ups will keep going to people who answered" in warning.message
    assert warning.url == reverse("mailbox_detail", args=[mailbox.pk])
    assert launch_problems(campaign) == []  # a warning, not a blocker


def test_a_domain_failing_its_checks_links_to_domain_health(campaign, workspace_a):
    DomainCheck.objects.create(
        workspace=workspace_a,
        domain="acme.example",
        findings=[failing("spf"), failing("dmarc"), failing("dkim", level="warning")],
    )
    [warning] = launch_warnings(campaign)
    assert warning.message.startswith("acme.example fails DMARC, SPF")
    assert warning.url == reverse("domain_detail", args=["acme.example"])


def test_a_lookup_that_failed_or_a_blocklist_is_not_a_failing_domain(campaign, workspace_a):
    DomainCheck.objects.create(
        workspace=workspace_a,
        domain="acme.example",
        findings=[failing("mx", transient=True), failing("blocklist")],
    )
    assert messages(campaign) == []


def test_another_workspaces_check_of_the_same_domain_is_not_read(campaign, workspace_b):
    DomainCheck.objects.create(
        workspace=workspace_b, domain="acme.example", findings=[failing("mx")]
    )
    assert messages(campaign) == []


def test_a_signature_used_without_fallback_warns_for_each_mailbox_without_one(
    campaign, workspace_a
):
    bare = make_mailbox(workspace_a, email="bob@acme.example", smtp_username="bob@acme.example")
    campaign.mailboxes.add(bare)
    follow_up = campaign.steps.get(position=2).variants.get()
    variant_save(
        variant=follow_up, subject="", body_html="<p>Bye</p><p>{{signature}}</p>", weight=1
    )
    [warning] = launch_warnings(campaign)
    assert warning.message.startswith("Step 2 uses {{signature}}, which is empty for bob@acme.")
    variant_save(variant=follow_up, subject="", body_html="<p>{{signature|Bob}}</p>", weight=1)
    assert messages(campaign) == []


def test_the_review_page_shows_the_forecast_and_the_warnings(client, alice, campaign, mailbox):
    mailbox.imap_host = ""
    mailbox.save()
    variant_save(
        variant=first_variant(campaign),
        subject="Hi {{first_name}}",
        body_html="<p>Hi</p>",
        weight=1,
    )
    client.force_login(alice)
    friday = datetime.datetime(2026, 12, 11, 15, tzinfo=UTC)
    with time_machine.travel(friday, tick=False):
        page = client.get(reverse("campaign_review", args=[campaign.pk])).content.decode()
    assert "Nothing sends before Monday 14 December, 09:00 Europe/Paris." in page
    assert 'data-warnings="1"' in page
    assert "has no IMAP" in page
    assert "Launch to 3 leads" in page  # warnings do not block


def test_another_workspace_cannot_read_the_review(client, charlie, campaign):
    client.force_login(charlie)
    assert client.get(reverse("campaign_review", args=[campaign.pk])).status_code == 404
