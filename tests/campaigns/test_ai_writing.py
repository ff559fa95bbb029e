"""“Write with AI”, “Suggest follow-up” and “Check content” in the sequence editor."""

import json

import pytest
from django.urls import reverse

from ai.models import Usage
from campaigns.authoring.services import campaign_create, variant_save
from campaigns.models import Step, Variant

pytestmark = pytest.mark.django_db
BRIEF = {
    "offer": "Invoicing software that chases late payments",
    "audience": "design agencies",
    "tone": "friendly",
    "length": "short",
    "language": "English",
    "call_to_action": "a 15-minute call",
    "action": "write",
}


@pytest.fixture
def campaign(workspace_a):
    return campaign_create(workspace=workspace_a, name="Agencies")


def test_the_ai_writes_spintax_subjects_and_a_body_into_the_empty_first_variant(
    client, alice, campaign, openai_workspace, fake_openai
):
    client.force_login(alice)
    response = client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF)
    variant = Variant.objects.get(step__campaign=campaign)
    assert response["Location"].endswith(f"#variant-{variant.pk}")
    assert (
        variant.subject
        == "{Idea for {{company|your team}}|{Quick|Short} question, {{first_name|there}}}"
    )
    assert "<p>{Hi|Hello} {{first_name|there}},</p>" in variant.body_html
    # counted: the writing, and the content check of what was written
    assert sorted(Usage.objects.values_list("purpose", flat=True)) == ["content", "write"]
    sent = json.loads(fake_openai.requests[0]["raw"])
    assert "design agencies" in sent["messages"][1]["content"]


def test_existing_text_is_kept_and_the_ai_text_goes_into_a_new_variant(
    client, alice, campaign, gemini_workspace, fake_gemini
):
    first = Variant.objects.get(step__campaign=campaign)
    variant_save(variant=first, subject="Mine", body_html="<p>My own words</p>", weight=1)
    client.force_login(alice)
    client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF)
    labels = dict(Variant.objects.filter(step__campaign=campaign).values_list("label", "subject"))
    assert labels["A"] == "Mine" and labels["B"].startswith("{Idea for")


def test_suggest_follow_up_writes_the_next_step_from_the_previous_ones(
    client, alice, campaign, openai_workspace, fake_openai
):
    first = Variant.objects.get(step__campaign=campaign)
    variant_save(variant=first, subject="Hi", body_html="<p>About invoices</p>", weight=1)
    client.force_login(alice)
    follow_up = {
        "action": "follow_up",
        "tone": "friendly",
        "length": "short",
        "language": "English",
        "call_to_action": "a call",
        "offer": "",
        "audience": "",
    }
    client.post(reverse("sequence_write", args=[campaign.pk]), follow_up)
    step = Step.objects.get(campaign=campaign, position=2)
    assert step.variants.get().subject == ""  # stays in the thread
    assert "About invoices" in fake_openai.requests[0]["raw"]


def test_writing_without_a_provider_says_how_to_get_one(client, alice, campaign):
    client.force_login(alice)
    page = client.get(reverse("campaign_sequence", args=[campaign.pk])).content.decode()
    assert "Writing needs an AI provider" in page
    response = client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF, follow=True)
    assert "The AI could not write this: No AI provider" in response.content.decode()
    assert Variant.objects.get(step__campaign=campaign).body_html == ""


def test_ai_text_that_the_content_filter_blocks_is_not_stored(
    client, alice, campaign, openai_workspace, fake_openai
):
    fake_openai.answers.append(
        {
            "subjects": ["Account notice"],
            "body": (
                "Your account will be suspended. Verify your account at http://paypa1-login.com"
            ),
        }
    )
    client.force_login(alice)
    response = client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF, follow=True)
    assert "The content filter blocked the AI" in response.content.decode()
    assert Variant.objects.get(step__campaign=campaign).subject == ""


def test_ai_text_that_does_not_parse_is_not_stored(
    client, alice, campaign, openai_workspace, fake_openai
):
    fake_openai.answers.append({"subjects": ["Hi {{first_name"], "body": "Hello"})
    client.force_login(alice)
    response = client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF, follow=True)
    assert "is not a valid template" in response.content.decode()


def test_another_workspace_cannot_write_into_the_campaign(client, charlie, campaign):
    client.force_login(charlie)
    assert client.post(reverse("sequence_write", args=[campaign.pk]), BRIEF).status_code == 404


def test_check_content_names_what_would_be_held(client, alice, campaign):
    variant = Variant.objects.get(step__campaign=campaign)
    variant_save(
        variant=variant,
        subject="Hello",
        weight=1,
        body_html="<p>{Thanks|Buy 5 Apple gift cards and send me the codes}</p>",
    )
    client.force_login(alice)
    response = client.post(reverse("sequence_check", args=[campaign.pk]), follow=True)
    assert "Launching now would hold this campaign for review" in response.content.decode()
    assert "fraud" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.held_at is None


def test_check_content_passes_ordinary_outreach(client, alice, campaign):
    variant = Variant.objects.get(step__campaign=campaign)
    variant_save(
        variant=variant,
        subject="Idea",
        weight=1,
        body_html="<p>{Hi|Hello} {{first_name}}, a free trial of our CRM?</p>",
    )
    client.force_login(alice)
    response = client.post(reverse("sequence_check", args=[campaign.pk]), follow=True)
    assert "Content check passed (checked by local)" in response.content.decode()
