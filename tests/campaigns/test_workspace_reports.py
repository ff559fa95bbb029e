"""The Reports page across campaigns: the campaign report's numbers, grouped by campaign,
mailbox or day over a date range, machine opens apart, a CSV export, a fixed number of queries,
and never another workspace's data."""

import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign, OutboundMessage
from campaigns.reports.numbers import campaign_report
from campaigns.sending.launch import campaign_launch
from tests.campaigns.pipeline import START, build, run_until, track
from tests.smtp_accounts.factories import sink_mailbox

pytestmark = pytest.mark.django_db

PROXY = "Mozilla/5.0 (via ggpht.com GoogleImageProxy)"
DAY = START.date()
RANGE = {"start": "2026-11-20", "end": "2026-11-30"}


def launched(workspace, mailbox, *, n, prefix, name):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=1, prefix=prefix)
        campaign.name = name
        campaign.save()
        campaign_launch(campaign=campaign)
    return campaign


def sent_in(campaign):
    return list(OutboundMessage.objects.filter(enrollment__campaign=campaign).order_by("pk"))


@pytest.fixture
def two_campaigns(workspace_a, mailbox):
    """Welcome (3 sent: one human open and a proxy's open of the same, one proxy open alone,
    one click) and Renewals (2 sent, nothing else), both on the same day."""
    welcome = launched(workspace_a, mailbox, n=3, prefix="w", name="Welcome")
    renewals = launched(workspace_a, mailbox, n=2, prefix="r", name="Renewals")
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    first, second, _third = sent_in(welcome)
    with time_machine.travel(START + datetime.timedelta(hours=3), tick=False):
        track(first)
        track(first, user_agent=PROXY)
        track(second, user_agent=PROXY)
        track(first, "c")
    return welcome, renewals


def rows_of(page: str, by: str) -> str:
    assert f'data-report-rows="{by}"' in page
    return page


def test_by_campaign_shows_each_campaign_with_the_numbers_of_its_own_report(
    client, alice, two_campaigns
):
    welcome, renewals = two_campaigns
    client.force_login(alice)
    response = client.get(reverse("reports"), RANGE | {"by": "campaign"})
    assert response.status_code == 200
    report = response.context["report"]
    by_name = {row["label"]: row for row in report["rows"]}
    assert list(by_name) == ["Welcome", "Renewals"]  # most sent first
    own = campaign_report(welcome)["totals"]
    for name in ("enrolled", "sent", "delivered", "opened", "clicked", "replied", "bounced"):
        assert by_name["Welcome"][name] == own[name], name
    assert (by_name["Welcome"]["opened"], by_name["Welcome"]["opened_rate"]) == (1, 33.3)
    assert by_name["Renewals"]["sent"] == 2 and by_name["Renewals"]["opened"] == 0
    assert report["totals"]["sent"] == 5 and report["totals"]["opened_rate"] == 20.0
    assert reverse("campaign_report", args=[renewals.pk]) in response.content.decode()


def test_machine_opens_are_counted_apart_from_human_ones(client, alice, two_campaigns):
    client.force_login(alice)
    response = client.get(reverse("reports"), RANGE | {"by": "campaign"})
    welcome = next(r for r in response.context["report"]["rows"] if r["label"] == "Welcome")
    # Two messages opened by the proxy (one of them also by its reader): the human count is 1.
    assert (welcome["opened"], welcome["machine_opened"]) == (1, 2)
    assert (welcome["clicked"], welcome["machine_clicked"]) == (1, 0)
    page = response.content.decode()
    assert "Left out: 2 messages opened by mail proxies or privacy protection" in page


def test_by_mailbox_sums_every_campaign_sent_from_each_mailbox(
    client, alice, workspace_a, mailbox, smtp_server
):
    other = sink_mailbox(
        workspace_a, smtp_server, email="second@acme.example", daily_cap=1000, hourly_cap=1000
    )
    launched(workspace_a, mailbox, n=2, prefix="a", name="From the first")
    launched(workspace_a, other, n=3, prefix="b", name="From the second")
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    client.force_login(alice)
    response = client.get(reverse("reports"), RANGE | {"by": "mailbox"})
    rows = {row["label"]: row["sent"] for row in response.context["report"]["rows"]}
    assert rows == {"second@acme.example": 3, mailbox.email: 2}
    assert 'data-report-rows="mailbox"' in response.content.decode()


def test_by_day_lists_every_day_of_the_range_and_counts_on_the_day_sent(
    client, alice, two_campaigns
):
    client.force_login(alice)
    response = client.get(reverse("reports"), RANGE | {"by": "day"})
    rows = response.context["report"]["rows"]
    assert [row["key"] for row in rows] == [
        datetime.date(2026, 11, 20) + datetime.timedelta(days=i) for i in range(11)
    ]
    sent = {row["key"]: row["sent"] for row in rows if row["sent"]}
    assert sent == {DAY: 5}
    assert f'data-row="{DAY.isoformat()}"' in response.content.decode()


def test_a_range_leaves_out_the_days_outside_it(client, alice, two_campaigns):
    client.force_login(alice)
    before = {"start": "2026-11-01", "end": "2026-11-23", "by": "campaign"}
    response = client.get(reverse("reports"), before)
    assert response.context["report"]["rows"] == []
    assert "Nothing was sent in these dates." in response.content.decode()
    on_the_day = {"start": DAY.isoformat(), "end": DAY.isoformat(), "by": "campaign"}
    assert client.get(reverse("reports"), on_the_day).context["report"]["totals"]["sent"] == 5


def test_another_workspaces_campaigns_never_appear(
    client, alice, charlie, workspace_b, two_campaigns, smtp_server
):
    theirs = sink_mailbox(
        workspace_b, smtp_server, email="c@bravo.example", daily_cap=1000, hourly_cap=1000
    )
    launched(workspace_b, theirs, n=4, prefix="c", name="Bravo secret")
    run_until(START + datetime.timedelta(hours=1, minutes=2))
    track(sent_in(Campaign.objects.get(name="Bravo secret"))[0], user_agent=PROXY)
    client.force_login(alice)
    for by in ("campaign", "mailbox", "day"):
        page = client.get(reverse("reports"), RANGE | {"by": by})
        assert page.context["report"]["totals"]["sent"] == 5
        assert page.context["report"]["totals"]["machine_opened"] == 2
        assert "Bravo secret" not in page.content.decode()
        assert "c@bravo.example" not in page.content.decode()
        export = b"".join(client.get(reverse("reports_export"), RANGE | {"by": by}))
        assert b"Bravo" not in export and b"bravo.example" not in export
    client.force_login(charlie)
    theirs_page = client.get(reverse("reports"), RANGE | {"by": "campaign"})
    assert [r["label"] for r in theirs_page.context["report"]["rows"]] == ["Bravo secret"]
    assert "Welcome" not in theirs_page.content.decode()


def test_the_csv_export_has_the_rows_and_the_totals(client, alice, two_campaigns):
    welcome, _renewals = two_campaigns
    welcome.name = "=HYPERLINK(1)"  # a name a spreadsheet would run as a formula
    welcome.save()
    client.force_login(alice)
    response = client.get(reverse("reports_export"), RANGE | {"by": "campaign"})
    assert response["Content-Type"].startswith("text/csv")
    assert "postigo-report-by-campaign-2026-11-20-2026-11-30.csv" in response["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header = lines[0]
    assert header[:3] == ["Campaign", "Enrolled", "Sent"]
    rows = {line[0]: dict(zip(header, line, strict=True)) for line in lines[1:]}
    assert set(rows) == {"'=HYPERLINK(1)", "Renewals", "Total"}
    assert rows["'=HYPERLINK(1)"]["Opened (people)"] == "1"
    assert rows["'=HYPERLINK(1)"]["Opened by machines"] == "2"
    assert rows["Total"]["Sent"] == "5" and rows["Total"]["Open rate %"] == "20.0"


def test_the_day_export_names_each_utc_day(client, alice, two_campaigns):
    client.force_login(alice)
    body = b"".join(client.get(reverse("reports_export"), RANGE | {"by": "day"})).decode()
    lines = list(csv.reader(io.StringIO(body)))
    assert lines[0][0] == "Day (UTC)" and len(lines) == 1 + 11 + 1
    assert [line for line in lines if line[0] == DAY.isoformat()][0][2] == "5"


def test_a_bad_range_is_explained_in_place_and_the_last_30_days_are_shown(client, alice):
    client.force_login(alice)
    with time_machine.travel(START, tick=False):
        backwards = client.get(reverse("reports"), {"start": "2026-11-10", "end": "2026-11-01"})
        page = backwards.content.decode()
        assert backwards.status_code == 200
        assert 'data-field-error="end"' in page and "The end date is before the start date." in page
        assert backwards.context["period"].start == DAY - datetime.timedelta(days=29)
        too_long = client.get(reverse("reports"), {"start": "2024-01-01", "end": "2026-11-01"})
        assert "A report covers 366 days at most." in too_long.content.decode()
        garbage = client.get(reverse("reports"), {"start": "yesterday", "by": "nonsense"})
        assert garbage.status_code == 200
        assert garbage.context["report"]["by"] == "campaign"
        assert client.get(reverse("reports_export"), {"start": "x"}).status_code == 200


def test_the_page_costs_the_same_queries_for_one_campaign_or_many(
    client, alice, workspace_a, mailbox
):
    client.force_login(alice)
    launched(workspace_a, mailbox, n=1, prefix="s", name="Small")
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    client.get(reverse("reports"))  # the first request of a session does its own bookkeeping
    counts = {}
    for label in ("one", "many"):
        if label == "many":
            for i in range(4):
                launched(workspace_a, mailbox, n=3, prefix=f"m{i}", name=f"More {i}")
            run_until(START + datetime.timedelta(hours=1, minutes=2))
            for message in OutboundMessage.objects.all():
                track(message, user_agent=PROXY, flush=False)
            track(message)
        for by in ("campaign", "mailbox", "day"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("reports"), RANGE | {"by": by}).status_code == 200
            counts[label, by] = len(captured.captured_queries)
    assert {by: counts["one", by] for by in ("campaign", "mailbox", "day")} == {
        by: counts["many", by] for by in ("campaign", "mailbox", "day")
    }


def test_the_reports_page_asks_to_sign_in(client):
    response = client.get(reverse("reports"))
    assert response.status_code == 302 and "login" in response["Location"]
