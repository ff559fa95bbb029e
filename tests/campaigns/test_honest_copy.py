"""Copy and state that used to mislead: what a page says matches what happened."""

import pytest
import time_machine
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns.authoring.services import campaign_create, step_add
from campaigns.leads.imports import lead_import_create, lead_import_run, lead_import_start
from campaigns.models import Lead, LeadList
from tests.campaigns.pipeline import START, build

pytestmark = pytest.mark.django_db


def test_the_first_follow_up_is_follow_up_1(client, alice, workspace_a):
    campaign = campaign_create(workspace=workspace_a, name="Q4")
    step_add(campaign=campaign)
    step_add(campaign=campaign)
    client.force_login(alice)
    page = client.get(reverse("campaign_sequence", args=[campaign.pk])).content.decode()
    assert "First email" in page
    assert "Follow-up 1" in page and "Follow-up 2" in page
    assert "Follow-up 3" not in page


def test_resuming_a_campaign_says_how_many_leads_go_on(
    client, alice, workspace_a, mailbox, smtp_server
):
    client.force_login(alice)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=3, steps=2)
        control = reverse("campaign_control", args=[campaign.pk])
        launched = client.post(control, {"action": "launch"}, follow=True).content.decode()
        assert "Pipeline is running: 3 leads enrolled." in launched
        client.post(control, {"action": "pause"})
        resumed = client.post(control, {"action": "resume"}, follow=True).content.decode()
    assert "0 leads enrolled" not in resumed
    assert "Pipeline resumed: 3 leads go on with their sequence." in resumed


def test_resuming_also_counts_the_leads_the_lists_gained_meanwhile(
    client, alice, workspace_a, mailbox, smtp_server
):
    client.force_login(alice)
    with time_machine.travel(START, tick=False):
        campaign = build(workspace_a, mailbox, n=2, steps=1)
        control = reverse("campaign_control", args=[campaign.pk])
        client.post(control, {"action": "launch"})
        client.post(control, {"action": "pause"})
        late = Lead.objects.create(workspace=workspace_a, email="late@x.example", first_name="Lu")
        campaign.lead_lists.get().leads.add(late)
        resumed = client.post(control, {"action": "resume"}, follow=True).content.decode()
    assert "2 leads go on with their sequence. 1 new lead enrolled." in resumed


def run_import(workspace, text: str):
    lead_list = LeadList.objects.create(
        workspace=workspace, name=f"List {LeadList.objects.count()}"
    )
    imp = lead_import_create(
        workspace=workspace,
        user=None,
        lead_list=lead_list,
        filename="leads.csv",
        data=text.replace("\n", "\r\n").encode(),
    )
    lead_import_start(lead_import=imp, mapping=imp.mapping, check_mx=False)
    lead_import_run(imp.pk)
    imp.refresh_from_db()
    return imp


def test_an_imports_counts_add_up_to_the_rows_it_read(client, alice, workspace_a):
    Lead.objects.create(workspace=workspace_a, email="known@x.example", first_name="Kim")
    Lead.objects.create(workspace=workspace_a, email="filled@x.example")
    rows = [f"new{i}@x.example,N{i}" for i in range(25)]
    rows += ["known@x.example,Kim", "filled@x.example,Fay", "new0@x.example,Again", "nope,X", ","]
    imp = run_import(workspace_a, "Email,First name\n" + "\n".join(rows) + "\n")
    assert (imp.total_rows, imp.processed_rows) == (30, 30)
    assert (imp.imported, imp.updated, imp.unchanged) == (25, 1, 1)
    assert (imp.duplicates, imp.invalid, imp.blank) == (1, 1, 1)
    assert imp.counted == 30
    client.force_login(alice)
    page = client.get(reverse("lead_import_progress", args=[imp.pk])).content.decode()
    assert "30 of 30 rows" in page
    assert "Already there" in page and '<dd data-count="unchanged" ' in page
    assert "Empty rows" in page


ROW = st.sampled_from(["new", "known", "dup", "bad", "blank"])


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(ROW, min_size=1, max_size=30))
def test_every_row_is_counted_exactly_once(workspace_a, kinds):
    Lead.objects.get_or_create(workspace=workspace_a, email="known@x.example")
    cells = {
        "new": "n{i}@x.example",
        "known": "known@x.example",
        "dup": "d@x.example",
        "bad": "not-an-address",
        "blank": "",
    }
    lines = [
        cells[kind].format(i=i) + ",x" if kind != "blank" else "," for i, kind in enumerate(kinds)
    ]
    imp = run_import(workspace_a, "Email,Tag\n" + "\n".join(lines) + "\n")
    assert imp.counted == imp.processed_rows == len(kinds)
    assert imp.blank == kinds.count("blank")
