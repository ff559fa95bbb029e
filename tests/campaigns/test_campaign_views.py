"""The campaign builder pages: wizard, autosave, sequence editing, review, preview, isolation."""

import re

import pytest
from django.urls import reverse

from campaigns.authoring.services import campaign_create, variant_save
from campaigns.models import Campaign, Step, Variant
from tests.campaigns.test_authoring import add_leads, first_variant
from tests.smtp_accounts.factories import make_mailbox

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def campaign(workspace_a):
    return campaign_create(workspace=workspace_a, name="Founders")


def test_creating_a_campaign_opens_the_wizard(client, alice):
    client.force_login(alice)
    response = client.post(reverse("campaign_list"), {"name": "Q1 founders"})
    campaign = Campaign.objects.get()
    assert response.url == reverse("campaign_leads", args=[campaign.pk])
    assert campaign.steps.get().variants.get().label == "A"
    page = client.get(reverse("campaign_list")).content.decode()
    assert 'data-campaign="Q1 founders"' in page


def test_leads_step_autosaves_and_moves_on(client, alice, campaign, workspace_a):
    lead_list = add_leads(workspace_a, {"email": "a@x.example"})
    client.force_login(alice)
    url = reverse("campaign_leads", args=[campaign.pk])
    saved = client.post(url, {"name": "Founders", "lead_lists": [lead_list.pk]}, headers=HTMX)
    assert 'data-saved="yes"' in saved.content.decode()
    assert list(campaign.lead_lists.all()) == [lead_list]
    moved = client.post(url, {"name": "Founders 2", "lead_lists": [lead_list.pk]})
    assert moved.url == reverse("campaign_sequence", args=[campaign.pk])


def test_schedule_errors_are_reported_not_saved(client, alice, campaign):
    client.force_login(alice)
    response = client.post(
        reverse("campaign_schedule", args=[campaign.pk]),
        {
            "timezone": "Europe/Berlin",
            "send_days": ["0", "2"],
            "window_start": "17:00",
            "window_end": "09:00",
            "daily_cap": 30,
            "unsubscribe_footer": "<p>Bye {{unsubscribe_url}}</p>",
        },
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "The window must end after it starts." in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.timezone == "UTC"


@pytest.mark.parametrize("step", ["campaign_leads", "campaign_schedule", "campaign_mailboxes"])
def test_a_wizard_step_says_nothing_of_saving_until_it_has_tried(client, alice, campaign, step):
    """Opened, a step shows what is stored: there is nothing to report, least of all the red
    "Not saved:" of a refused change. After a change it says which it was, and why."""
    client.force_login(alice)
    url = reverse(step, args=[campaign.pk])
    page = client.get(url).content.decode()
    assert re.search(r'<span id="save-state">\s*</span>', page)
    assert "Not saved" not in page and "data-saved" not in page


def test_an_autosave_says_saved_or_why_not(client, alice, campaign):
    client.force_login(alice)
    url = reverse("campaign_schedule", args=[campaign.pk])
    schedule = {
        "timezone": "UTC",
        "send_days": ["0"],
        "window_start": "09:00",
        "window_end": "17:00",
        "daily_cap": 30,
        "bounce_limit": 5,
        "unsubscribe_footer": "<p>Bye {{unsubscribe_url}}</p>",
    }
    saved = client.post(url, schedule, headers=HTMX).content.decode()
    assert 'data-saved="yes"' in saved and "Saved" in saved
    refused = client.post(url, schedule | {"daily_cap": -1}, headers=HTMX)
    assert refused.status_code == 400
    assert 'data-saved="no"' in refused.content.decode()
    assert "Not saved: New leads per day:" in refused.content.decode()


def test_the_schedule_can_follow_each_leads_clock(client, alice, campaign):
    client.force_login(alice)
    schedule = {
        "timezone": "Europe/Berlin",
        "send_days": ["0", "1", "2", "3", "4"],
        "window_start": "09:00",
        "window_end": "17:00",
        "daily_cap": 30,
        "bounce_limit": 3,
        "unsubscribe_footer": "<p>Bye {{unsubscribe_url}}</p>",
    }
    url = reverse("campaign_schedule", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'name="lead_time_zones"' in page and "on each lead's clock" in page
    client.post(url, schedule | {"lead_time_zones": "on"}, headers=HTMX)
    campaign.refresh_from_db()
    assert campaign.lead_time_zones and campaign.timezone == "Europe/Berlin"
    assert campaign.bounce_limit == 3
    refused = client.post(url, schedule | {"bounce_limit": 101}, headers=HTMX)
    assert "less than or equal to 100" in refused.content.decode()
    review = client.get(reverse("campaign_review", args=[campaign.pk])).content.decode()
    assert "09:00–17:00 in each lead's time zone (else Europe/Berlin)" in review
    client.post(url, schedule, headers=HTMX)  # an unticked box is not sent
    campaign.refresh_from_db()
    assert not campaign.lead_time_zones


def test_variants_autosave_with_template_errors_and_hints(client, alice, campaign):
    client.force_login(alice)
    variant = first_variant(campaign)
    url = reverse("variant_update", args=[campaign.pk, variant.pk])
    broken = client.post(
        url, {"subject": "Hi {there", "body_html": "<p>FREE GIFT</p>", "weight": 1}, headers=HTMX
    ).content.decode()
    assert 'data-state="error"' in broken
    assert "Line 1, column 4: Subject: This “{” is never closed" in broken
    assert "“free gift”" in broken
    client.post(
        url,
        {"subject": "Hi {{first_name|there}}", "body_html": '<p onclick="x">Yo</p>', "weight": 1},
        headers=HTMX,
    )
    variant.refresh_from_db()
    assert (variant.subject, variant.body_html) == ("Hi {{first_name|there}}", "<p>Yo</p>")


def test_steps_and_variants_are_added_and_removed(client, alice, campaign):
    client.force_login(alice)
    url = reverse("sequence_change", args=[campaign.pk])
    step1 = campaign.steps.get()
    client.post(url, {"action": "add_step"})
    client.post(url, {"action": "add_variant", "target": step1.pk})
    page = client.get(reverse("campaign_sequence", args=[campaign.pk])).content.decode()
    assert page.count("data-variant=") == 3 and 'data-step="2"' in page
    b = step1.variants.get(label="B")
    client.post(url, {"action": "remove_variant", "target": b.pk})
    step2 = campaign.steps.get(position=2)
    client.post(url, {"action": "remove_step", "target": step2.pk})
    assert Step.objects.count() == 1 and Variant.objects.count() == 1
    refused = client.post(
        url, {"action": "remove_variant", "target": step1.variants.get().pk}, follow=True
    )
    assert "A step needs at least one variant." in refused.content.decode()


def test_review_lists_problems_then_says_ready(client, alice, campaign, workspace_a):
    client.force_login(alice)
    url = reverse("campaign_review", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'data-problems="4"' in page
    assert reverse("campaign_leads", args=[campaign.pk]) in page

    campaign.lead_lists.add(add_leads(workspace_a, {"email": "a@x.example", "first_name": "Ana"}))
    campaign.mailboxes.add(make_mailbox(workspace_a))
    variant_save(
        variant=first_variant(campaign),
        subject="Hi {{first_name}}",
        body_html="<p>Yo</p>",
        weight=1,
    )
    assert "Ready to launch" in client.get(url).content.decode()


def test_preview_and_test_send(client, alice, campaign, workspace_a, smtp_server):
    campaign.lead_lists.add(add_leads(workspace_a, {"email": "a@x.example", "first_name": "Ana"}))
    variant = variant_save(
        variant=first_variant(campaign),
        subject="{Hi|Hello} {{first_name}}",
        body_html="<p>From {{city}}</p>",
        weight=1,
    )
    make_mailbox(
        workspace_a,
        smtp_host="localhost",
        smtp_port=smtp_server.port,
        smtp_username=smtp_server.username,
        smtp_password=smtp_server.password,
    )
    client.force_login(alice)
    url = reverse("campaign_preview", args=[campaign.pk]) + f"?variant={variant.pk}"
    page = client.get(url).content.decode()
    assert '<mark class="unresolved">{{city}}</mark>' in page
    assert "2 possible versions" in page
    mailbox = workspace_a.mailboxes.get()
    sent = client.post(url, {"mailbox": mailbox.pk}).content.decode()
    assert 'data-test-result="sent"' in sent
    assert smtp_server.received[0].rcpt_tos == [alice.email]


def test_another_workspace_gets_404_everywhere(client, charlie, campaign):
    variant = first_variant(campaign)
    step = campaign.steps.get()
    client.force_login(charlie)
    for name in [
        "campaign_leads",
        "campaign_sequence",
        "campaign_schedule",
        "campaign_mailboxes",
        "campaign_review",
        "campaign_preview",
    ]:
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 404, name
    assert (
        client.post(
            reverse("variant_update", args=[campaign.pk, variant.pk]), {"subject": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("step_update", args=[campaign.pk, step.pk])).status_code == 404
    assert client.post(reverse("campaign_duplicate", args=[campaign.pk])).status_code == 404
    assert (
        client.post(
            reverse("sequence_change", args=[campaign.pk]), {"action": "add_step"}
        ).status_code
        == 404
    )
    assert Campaign.objects.count() == 1 and Step.objects.count() == 1


def test_a_variant_of_another_campaign_is_404(client, alice, campaign, workspace_a):
    other = campaign_create(workspace=workspace_a, name="Other")
    client.force_login(alice)
    url = reverse("variant_update", args=[campaign.pk, first_variant(other).pk])
    assert client.post(url, {"subject": "x", "weight": 1}).status_code == 404
