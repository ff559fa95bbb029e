"""The delivery log: every SMTP attempt of a mailbox or a campaign, with the server's reply,
filtered, searched, keyset-paginated, within the retention period, never another workspace's."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import OutboundMessage
from campaigns.sending.launch import campaign_launch
from privacy.retention import rule
from smtp_accounts.models import SendLog
from tests.campaigns.pipeline import START, build, run_until

pytestmark = pytest.mark.django_db


def launched(workspace, mailbox, *, n, prefix):
    with time_machine.travel(START, tick=False):
        campaign = build(workspace, mailbox, n=n, steps=1, prefix=prefix)
        campaign_launch(campaign=campaign)
    return campaign


@pytest.fixture
def sent_with_a_refusal(workspace_a, mailbox, smtp_server):
    """Three leads, the server refusing the second for good (550 user unknown)."""
    smtp_server.script.rcpt["w1@x.example"] = "550 5.1.1 <w1@x.example>: User unknown"
    campaign = launched(workspace_a, mailbox, n=3, prefix="w")
    run_until(START + datetime.timedelta(hours=1, minutes=1))
    return campaign


def rows(response) -> list[tuple[str, str]]:
    return [(log.recipient, log.outcome) for log in response.context["page"].rows]


def test_a_mailbox_log_shows_every_attempt_with_the_servers_reply(
    client, alice, mailbox, sent_with_a_refusal
):
    client.force_login(alice)
    with time_machine.travel(START + datetime.timedelta(days=1)):
        response = client.get(reverse("mailbox_log", args=[mailbox.pk]))
    assert response.status_code == 200
    assert sorted(rows(response)) == [
        ("w0@x.example", "sent"),
        ("w1@x.example", "hard_bounce"),
        ("w2@x.example", "sent"),
    ]
    page = response.content.decode()
    assert "550" in page and "User unknown" in page and "Bounced" in page
    assert "2.0.0 Ok: queued" in page


def test_the_log_filters_by_result_and_date_and_searches_recipients(
    client, alice, mailbox, sent_with_a_refusal
):
    client.force_login(alice)
    url = reverse("mailbox_log", args=[mailbox.pk])
    with time_machine.travel(START + datetime.timedelta(days=1)):
        assert rows(client.get(url, {"result": "hard_bounce"})) == [("w1@x.example", "hard_bounce")]
        assert rows(client.get(url, {"q": "W2@X"})) == [("w2@x.example", "sent")]
        on_the_day = {"start": START.date().isoformat(), "end": START.date().isoformat()}
        assert len(rows(client.get(url, on_the_day))) == 3
        the_day_after = {"start": "2026-11-25"}
        after = client.get(url, the_day_after)
        assert rows(after) == [] and "No attempt matches these filters." in after.content.decode()
        backwards = client.get(url, {"start": "2026-11-25", "end": "2026-11-01"})
        assert "The end date is before the start date." in backwards.content.decode()
        assert len(rows(backwards)) == 3  # the valid filters still apply, the bad one is shown


def test_a_campaign_log_holds_only_that_campaigns_attempts_and_each_messages_state(
    client, alice, workspace_a, mailbox, sent_with_a_refusal
):
    other = launched(workspace_a, mailbox, n=2, prefix="other")
    run_until(START + datetime.timedelta(hours=1, minutes=2))
    client.force_login(alice)
    with time_machine.travel(START + datetime.timedelta(days=1)):
        response = client.get(reverse("campaign_log", args=[sent_with_a_refusal.pk]))
        assert sorted(r for r, _ in rows(response)) == [f"w{i}@x.example" for i in range(3)]
        states = {log.recipient: log.state_label for log in response.context["page"].rows}
        assert states["w1@x.example"] == "Failed" and states["w0@x.example"] == "Sent"
        theirs = client.get(reverse("campaign_log", args=[other.pk]))
    assert sorted(r for r, _ in rows(theirs)) == ["other0@x.example", "other1@x.example"]
    assert OutboundMessage.objects.filter(state="sent").count() == 4


def test_another_workspaces_log_is_a_404_and_a_member_reads_their_own(
    client, bob, charlie, mailbox, sent_with_a_refusal
):
    client.force_login(charlie)
    assert client.get(reverse("mailbox_log", args=[mailbox.pk])).status_code == 404
    assert client.get(reverse("campaign_log", args=[sent_with_a_refusal.pk])).status_code == 404
    client.force_login(bob)
    with time_machine.travel(START + datetime.timedelta(days=1)):
        assert len(rows(client.get(reverse("mailbox_log", args=[mailbox.pk])))) == 3


def many_attempts(mailbox, n):
    """`n` logged attempts, three to a timestamp (ties the cursor must break by id)."""
    base = timezone.now() - datetime.timedelta(hours=1)
    SendLog.objects.bulk_create(
        SendLog(
            mailbox=mailbox,
            recipient=f"r{i}@x.example",
            outcome="sent",
            code=250,
            response="2.0.0 Ok",
            created_at=base + datetime.timedelta(seconds=i // 3),
        )
        for i in range(n)
    )


def test_pages_follow_one_another_without_gaps_or_repeats_at_a_fixed_cost(client, alice, mailbox):
    many_attempts(mailbox, 130)
    client.force_login(alice)
    url = reverse("mailbox_log", args=[mailbox.pk])
    client.get(url)  # the session's first request does its own bookkeeping
    seen, after, costs = [], None, []
    while True:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"after": after} if after else {})
        costs.append(len(captured.captured_queries))
        page = response.context["page"]
        seen.extend(log.pk for log in page.rows)
        if not page.next_cursor:
            break
        after = page.next_cursor
    expected = list(SendLog.objects.order_by("-created_at", "-pk").values_list("pk", flat=True))
    assert seen == expected and len(costs) == 3
    assert len(set(costs)) == 1


def test_a_cursor_that_is_not_one_gives_the_first_page(client, alice, mailbox):
    many_attempts(mailbox, 3)
    client.force_login(alice)
    url = reverse("mailbox_log", args=[mailbox.pk])
    too_big = "2026-01-01T00:00:00_" + "9" * 20
    for after in ("garbage", "2026-13-45T00:00:00_1", "_", too_big, "2026-01-01T00:00:00_1"):
        response = client.get(url, {"after": after})
        assert response.status_code == 200 and len(response.context["page"].rows) == 3


def test_only_attempts_within_the_retention_period_are_shown_and_the_page_says_how_long(
    client, alice, mailbox
):
    period = rule("send_logs").period
    cutoff = period.cutoff()
    SendLog.objects.bulk_create(
        [
            SendLog(mailbox=mailbox, recipient="old@x.example", outcome="sent",
                    created_at=cutoff - datetime.timedelta(minutes=1)),
            SendLog(mailbox=mailbox, recipient="kept@x.example", outcome="sent",
                    created_at=cutoff + datetime.timedelta(minutes=1)),
        ]
    )  # fmt: skip
    client.force_login(alice)
    response = client.get(reverse("mailbox_log", args=[mailbox.pk]))
    assert rows(response) == [("kept@x.example", "sent")]
    assert f"Attempts are kept for {period}, then deleted" in response.content.decode()
    assert str(period) == "12 months"


def test_the_mailbox_page_links_to_its_log(client, alice, mailbox):
    client.force_login(alice)
    page = client.get(reverse("mailbox_detail", args=[mailbox.pk])).content.decode()
    assert reverse("mailbox_log", args=[mailbox.pk]) in page


def test_filtering_with_htmx_swaps_only_the_results(client, alice, mailbox, sent_with_a_refusal):
    client.force_login(alice)
    with time_machine.travel(START + datetime.timedelta(days=1)):
        response = client.get(
            reverse("mailbox_log", args=[mailbox.pk]), {"q": "w1"}, HTTP_HX_REQUEST="true"
        )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="log-results">')
    assert (
        "w1@x.example" in html and "w0@x.example" not in html and '<nav class="sidebar' not in html
    )


def test_the_reports_page_links_each_mailbox_to_its_delivery_log(
    client, alice, mailbox, sent_with_a_refusal
):
    client.force_login(alice)
    page = client.get(
        reverse("reports"), {"start": "2026-11-20", "end": "2026-11-30", "by": "mailbox"}
    ).content.decode()
    assert reverse("mailbox_log", args=[mailbox.pk]) in page
