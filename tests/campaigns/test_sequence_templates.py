"""Sequence templates: save a campaign's sequence, start campaigns from it or from a starter."""

import pytest
from django.urls import reverse

from campaigns.authoring.sequence_templates import (
    campaign_create_started_from,
    sequence_of,
    sequence_template_save,
)
from campaigns.authoring.starters import STARTERS
from campaigns.models import Campaign, SequenceTemplate
from campaigns.sending.launch import campaign_launch, launch_problems
from tests.factories import add_leads, build


@pytest.fixture
def saved(workspace_a, alice, mailbox):
    campaign = build(workspace_a, mailbox, n=1, steps=3)
    step = campaign.steps.get(position=2)
    step.delay_days, step.delay_hours, step.in_thread = 4, 6, False
    step.save()
    return campaign, sequence_template_save(campaign=campaign, name="Q4 intro", user=alice)


def test_a_saved_template_starts_a_campaign_with_the_identical_sequence(workspace_a, saved):
    campaign, template = saved
    copy = campaign_create_started_from(
        workspace=workspace_a, name="Q1 intro", start_from=f"template:{template.pk}"
    )
    assert copy.status == Campaign.Status.DRAFT and copy.pk != campaign.pk
    assert sequence_of(copy) == sequence_of(campaign)
    assert [len(s["variants"]) for s in sequence_of(copy)] == [2, 1, 1]
    assert not copy.lead_lists.exists() and not copy.mailboxes.exists()


@pytest.mark.parametrize("slug", sorted(STARTERS))
def test_each_starter_passes_the_launch_checks_and_launches(workspace_a, mailbox, slug):
    campaign = campaign_create_started_from(
        workspace=workspace_a, name="Starter", start_from=f"starter:{slug}"
    )
    prospects = add_leads(
        workspace_a,
        {"email": "ana@x.example", "first_name": "Ana", "company": "Acme"},
        {"email": "bo@x.example"},  # no name, no company: the fallbacks fill in
    )
    campaign.lead_lists.add(prospects)
    campaign.mailboxes.add(mailbox)
    campaign.send_days = "0123456"
    campaign.save()
    assert launch_problems(campaign) == []
    assert campaign_launch(campaign=campaign) == 2
    assert campaign.steps.count() == len(STARTERS[slug]["steps"]) >= 2


def test_the_new_campaign_form_offers_blank_and_templates(client, alice, saved):
    _campaign, template = saved
    client.force_login(alice)
    page = client.get(reverse("campaign_list")).content.decode()
    assert "Blank" in page and "Q4 intro" in page and str(STARTERS["intro"]["name"]) in page
    response = client.post(
        reverse("campaign_list"), {"name": "From the form", "start_from": "starter:partnership"}
    )
    created = Campaign.objects.get(name="From the form")
    assert response["Location"] == reverse("campaign_leads", args=[created.pk])
    assert created.steps.count() == len(STARTERS["partnership"]["steps"])


def test_saving_from_the_sequence_page_keeps_the_template(client, alice, saved):
    campaign, _template = saved
    client.force_login(alice)
    response = client.post(
        reverse("campaign_save_as_template", args=[campaign.pk]), {"name": "  Agency pitch "}
    )
    assert response["Location"] == reverse("sequence_template_list")
    assert SequenceTemplate.objects.filter(name="Agency pitch").exists()
    page = client.get(reverse("sequence_template_list")).content.decode()
    assert "Agency pitch" in page and "Q4 intro" in page


def test_templates_can_be_renamed_and_deleted(client, alice, saved):
    _campaign, template = saved
    client.force_login(alice)
    client.post(reverse("sequence_template_rename", args=[template.pk]), {"name": "Renamed"})
    template.refresh_from_db()
    assert template.name == "Renamed"
    client.post(reverse("sequence_template_delete", args=[template.pk]))
    assert not SequenceTemplate.objects.exists()


def test_a_blank_name_is_refused_and_nothing_changes(client, alice, saved):
    _campaign, template = saved
    client.force_login(alice)
    response = client.post(reverse("sequence_template_rename", args=[template.pk]), {"name": ""})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.name == "Q4 intro"


def test_charlie_cannot_see_or_touch_alices_templates(client, charlie, saved):
    _campaign, template = saved
    client.force_login(charlie)
    assert "Q4 intro" not in client.get(reverse("sequence_template_list")).content.decode()
    for name in ("sequence_template_rename", "sequence_template_delete"):
        assert client.post(reverse(name, args=[template.pk]), {"name": "x"}).status_code == 404
    use = client.post(reverse("sequence_template_use"), {"start_from": f"template:{template.pk}"})
    assert use.status_code == 404
    form = client.post(
        reverse("campaign_list"), {"name": "Theft", "start_from": f"template:{template.pk}"}
    )
    assert form.status_code == 200 and not Campaign.objects.filter(name="Theft").exists()
    assert SequenceTemplate.objects.get().name == "Q4 intro"


def test_a_viewer_may_not_save_or_delete_templates(client, vera, saved):
    campaign, template = saved
    client.force_login(vera)
    save = client.post(reverse("campaign_save_as_template", args=[campaign.pk]), {"name": "x"})
    delete = client.post(reverse("sequence_template_delete", args=[template.pk]))
    assert save.status_code == 403 and delete.status_code == 403
    assert SequenceTemplate.objects.count() == 1
