"""The workspace Reports page (issue 25 item 7): every campaign's numbers over 90 days.

A workspace with `--campaigns` campaigns, each with counters on every one of 90 days for 3
mailboxes and 2 variants (540 counter rows a campaign), and machine opens among its events.
Ours: `workspace_report(by="campaign")` — a grouped sum, the machine opens and the labels, three
queries. Baseline, in the same run: the same table built the obvious way, one
`campaign_report(campaign)` per campaign (what a page looping over the campaign report would
do). Both are checked to give the same sent/opened/replied per campaign. Also printed: by
mailbox and by day, and their query counts.

Target: ours <= 0.2x the baseline (median of 5 runs each). SQLite in a temp folder.
Usage: .venv/bin/python bench/reports_page.py [--campaigns 200]
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import busy_seconds, django_in_tempdir, result  # noqa: E402

DAYS = 90
RUNS = 5


def populate(n: int):
    import random

    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.models import Campaign, CampaignStat
    from smtp_accounts.models import Mailbox

    rng = random.Random(7)
    workspace = Workspace.objects.create(name="reports bench")
    mailboxes = [
        Mailbox.objects.create(
            workspace=workspace, email=f"m{i}@bench.example", smtp_host="127.0.0.1",
            smtp_port=2525, smtp_username="u", smtp_password="p",
        )
        for i in range(3)
    ]  # fmt: skip
    campaigns = Campaign.objects.bulk_create(
        Campaign(workspace=workspace, name=f"Campaign {i}") for i in range(n)
    )
    today = timezone.now().date()
    rows = []
    for campaign in campaigns:
        for d in range(DAYS):
            day = today - datetime.timedelta(days=d)
            rows.append(CampaignStat(campaign=campaign, day=day, enrolled=rng.randint(0, 30)))
            for mailbox in mailboxes:
                for variant in (1, 2):
                    sent = rng.randint(0, 40)
                    rows.append(
                        CampaignStat(
                            campaign=campaign, day=day, step_id=1, variant_id=variant,
                            mailbox_id=mailbox.pk, sent=sent, opened=sent // 3,
                            clicked=sent // 10, replied=sent // 20,
                        )
                    )  # fmt: skip
    CampaignStat.objects.bulk_create(rows, batch_size=5000)
    return workspace, campaigns, today


def timed(fn) -> tuple[float, object, int]:
    from django.db import connection

    calls = []

    def count(execute, sql, params, many, context):
        calls.append(1)
        return execute(sql, params, many, context)

    times, out = [], None
    for _ in range(RUNS):
        calls.clear()
        with connection.execute_wrapper(count):
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
    return statistics.median(times), out, len(calls)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=200)
    args = parser.parse_args()
    django_in_tempdir()
    from campaigns.reports.across import Period, workspace_report
    from campaigns.reports.numbers import campaign_report

    workspace, campaigns, today = populate(args.campaigns)
    period = Period(today - datetime.timedelta(days=DAYS - 1), today)
    busy = busy_seconds()
    wall = time.monotonic()

    ours, report, our_queries = timed(
        lambda: workspace_report(workspace=workspace, period=period, by="campaign")
    )
    baseline, naive, naive_queries = timed(
        lambda: {c.pk: campaign_report(c)["totals"] for c in campaigns}
    )
    for row in report["rows"]:
        for name in ("sent", "opened", "replied", "enrolled"):
            assert row[name] == naive[row["key"]][name], (row["key"], name)
    for by in ("mailbox", "day"):
        seconds, _out, queries = timed(
            lambda by=by: workspace_report(workspace=workspace, period=period, by=by)
        )
        print(f"by {by}: {seconds * 1000:.1f} ms, {queries} queries")
    load = (busy_seconds() - busy) / max(1e-9, time.monotonic() - wall)
    print(
        f"{args.campaigns} campaigns x {DAYS} days ({args.campaigns * DAYS * 7} counter rows): "
        f"ours {ours * 1000:.1f} ms in {our_queries} queries; one campaign report each "
        f"{baseline * 1000:.1f} ms in {naive_queries} queries; machine busy {load:.2f} cores"
    )
    result(
        "reports_page",
        "by_campaign_seconds",
        ours,
        baseline,
        "ratio <= 0.2",
        ours <= 0.2 * baseline,
    )


if __name__ == "__main__":
    main()
