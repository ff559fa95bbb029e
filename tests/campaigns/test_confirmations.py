"""Destructive actions ask first: the confirmation says what will happen, in numbers, changes
nothing, and posts the real action; roles that may not act are refused, outsiders get 404s."""

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import Campaign, Enrollment, Lead, LeadImport, LeadList, OutboundMessage
from campaigns.sending.launch import campaign_launch
from tests.factories import START, add_leads, build, make_mailbox

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def running(workspace_a):
    mailbox = make_mailbox(workspace_a)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=2)
        campaign_launch(campaign=campaign)
    return campaign


def stop_url(campaign):
    return reverse("campaign_control_confirm", args=[campaign.pk, "stop"])


def test_stopping_asks_first_and_counts_leads_and_queued_messages(client, alice, running):
    enrollment = Enrollment.objects.filter(campaign=running).first()
    OutboundMessage.objects.create(
        enrollment=enrollment, step=running.steps.get(position=1), recipient="lead0@x.example"
    )
    client.force_login(alice)
    page = client.get(stop_url(running)).content.decode()
    assert "Stops 3 leads&#x27; sequences" in page
    assert "1 queued message is removed" in page
    assert 'name="action" value="stop"' in page and 'name="confirmed" value="1"' in page
    running.refresh_from_db()
    assert running.status == Campaign.Status.RUNNING


def test_the_stop_confirmation_is_a_dialog_body_for_htmx(client, alice, running):
    client.force_login(alice)
    body = client.get(stop_url(running), headers=HTMX).content.decode()
    assert "data-confirmation" in body
    assert "<html" not in body and "sidebar" not in body


def test_a_member_cannot_even_open_the_stop_confirmation(client, bob, running):
    client.force_login(bob)
    assert client.get(stop_url(running)).status_code == 403


def test_another_workspace_gets_a_404_for_the_stop_confirmation(client, charlie, running):
    client.force_login(charlie)
    assert client.get(stop_url(running)).status_code == 404


def test_launching_asks_first_and_says_how_many_leads(client, alice, workspace_a):
    mailbox = make_mailbox(workspace_a)
    campaign = build(workspace_a, mailbox, n=4, steps=1)
    client.force_login(alice)
    page = client.get(
        reverse("campaign_control_confirm", args=[campaign.pk, "launch"])
    ).content.decode()
    assert "Up to 4 leads of its lists are enrolled" in page
    assert "from 1 mailbox" in page
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_an_unknown_control_has_no_confirmation(client, alice, running):
    client.force_login(alice)
    url = reverse("campaign_control_confirm", args=[running.pk, "explode"])
    assert client.get(url).status_code == 404


def test_removing_a_step_asks_first_and_posts_the_removal(client, alice, workspace_a):
    campaign = build(workspace_a, make_mailbox(workspace_a), n=1, steps=2)
    step = campaign.steps.get(position=2)
    client.force_login(alice)
    page = client.get(reverse("step_remove_confirm", args=[campaign.pk, step.pk])).content.decode()
    assert "Step 2 and its 1 email version are removed." in page
    assert f'name="target" value="{step.pk}"' in page
    assert campaign.steps.count() == 2
    client.post(
        reverse("sequence_change", args=[campaign.pk]),
        {"action": "remove_step", "target": step.pk, "confirmed": "1"},
    )
    assert campaign.steps.count() == 1


def test_removing_a_variant_says_which_remain(client, alice, workspace_a):
    campaign = build(workspace_a, make_mailbox(workspace_a), n=1, steps=1)
    variant_b = campaign.steps.get().variants.get(label="B")
    client.force_login(alice)
    page = client.get(
        reverse("variant_remove_confirm", args=[campaign.pk, variant_b.pk])
    ).content.decode()
    assert "Version B of step 1" in page
    assert "From now on the step sends A." in page


def test_another_workspaces_step_is_a_404(client, charlie, workspace_a):
    campaign = build(workspace_a, make_mailbox(workspace_a), n=1, steps=2)
    step = campaign.steps.get(position=2)
    client.force_login(charlie)
    url = reverse("step_remove_confirm", args=[campaign.pk, step.pk])
    assert client.get(url).status_code == 404


def test_removing_a_mailbox_names_the_campaigns_it_leaves(client, alice, running):
    mailbox = running.mailboxes.get()
    client.force_login(alice)
    page = client.get(reverse("mailbox_delete_confirm", args=[mailbox.pk])).content.decode()
    assert "It leaves 1 campaign (Pipeline)." in page
    assert mailbox.__class__.objects.filter(pk=mailbox.pk).exists()


def test_a_member_may_not_open_a_mailbox_removal(client, bob, running):
    client.force_login(bob)
    url = reverse("mailbox_delete_confirm", args=[running.mailboxes.get().pk])
    assert client.get(url).status_code == 403


def test_deleting_a_lead_asks_first_and_counts_its_running_sequence(client, alice, running):
    lead = Lead.objects.get(email="lead0@x.example")
    client.force_login(alice)
    page = client.get(reverse("lead_delete_confirm", args=[lead.pk])).content.decode()
    assert "Delete lead0@x.example?" in page
    assert "1 running sequence ends at once" in page
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_a_viewer_may_not_open_a_lead_deletion(client, vera, workspace_a):
    add_leads(workspace_a, {"email": "a@x.example"})
    client.force_login(vera)
    lead = Lead.objects.get()
    assert client.get(reverse("lead_delete_confirm", args=[lead.pk])).status_code == 403


def test_rolling_back_an_import_predicts_what_the_rollback_does(client, alice, workspace_a):
    from campaigns.leads.imports import lead_import_rollback
    from campaigns.models import LeadMembership

    lead_list = add_leads(
        workspace_a, {"email": "gone@x.example"}, {"email": "kept@x.example"}, list_name="Import"
    )
    imp = LeadImport.objects.create(
        workspace=workspace_a, lead_list=lead_list, filename="x.csv", status="done"
    )
    Lead.objects.update(created_by_import=imp)
    LeadMembership.objects.update(added_by_import=imp)
    other = LeadList.objects.create(workspace=workspace_a, name="Other")
    LeadMembership.objects.create(lead=Lead.objects.get(email="kept@x.example"), lead_list=other)
    client.force_login(alice)
    page = client.get(reverse("lead_import_undo_confirm", args=[imp.pk])).content.decode()
    assert "1 lead it created, and in no other list, is deleted." in page
    assert "2 leads it added to Import leave that list." in page
    result = lead_import_rollback(lead_import=imp)
    assert result["leads_removed"] == 1


def test_leaving_a_workspace_asks_first(client, bob, workspace_a):
    client.force_login(bob)
    page = client.get(reverse("membership_leave_confirm")).content.decode()
    assert f"Leave {workspace_a.name}?" in page
    assert "invite you again" in page
    assert bob.memberships.filter(workspace=workspace_a).exists()


def test_a_lone_owner_is_told_before_leaving(client, alice, workspace_a):
    client.force_login(alice)
    page = client.get(reverse("membership_leave_confirm")).content.decode()
    assert "You are its only owner" in page


def test_the_confirmation_page_works_without_javascript(client, alice, running):
    client.force_login(alice)
    page = client.get(stop_url(running)).content.decode()
    assert 'id="confirm-dialog"' in page  # the full page, in the app's layout
    assert f'action="{reverse("campaign_control", args=[running.pk])}"' in page


def test_removing_a_member_asks_first_and_only_admins_may_open_it(client, alice, bob, charlie):
    from accounts.models import Membership

    target = Membership.objects.get(user=bob)
    url = reverse("membership_remove_confirm", args=[target.pk])
    client.force_login(alice)
    assert f"Remove {bob.email}" in client.get(url).content.decode()
    assert Membership.objects.filter(pk=target.pk).exists()
    client.force_login(bob)
    assert client.get(url).status_code == 403
    client.force_login(charlie)
    assert client.get(url).status_code == 404
