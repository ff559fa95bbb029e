"""Template rendering: spintax + merge fields + HTML escaping, per message.

Renders a realistic cold email (subject and HTML body: 5 spintax groups, one nested, 4 merge
fields, ~700 characters) for --n leads, each with its own seed, and compares with a plain
`str.format` of the same text with the same values. Target: ratio <= 10.
Usage: .venv/bin/python bench/render.py [--n 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import result  # noqa: E402
from campaigns.authoring.templating import HEADER, HTML, parse  # noqa: E402

SUBJECT = "{Quick|Short} question about {{company|your team}}"
BODY = (
    "<p>{Hi|Hello|Hey} {{first_name|there}},</p>"
    "<p>I noticed <{{company}}|your team> is hiring {engineers|developers} in {{city|Europe}}. "
    "We help companies like yours {cut onboarding time|ship faster {with less stress|and calmer}} "
    "without adding headcount, and most of our customers see results within a month.</p>"
    "<p>Would it make sense to talk for 15 minutes next week? If not, no worries at all; "
    "just reply and I will not follow up again.</p>"
    "<p>{Best|Cheers|Thanks},<br>Alice</p>"
)
# The same text for str.format: one fixed choice per group, {field} for each merge field.
FORMAT_SUBJECT = "Quick question about {company}"
FORMAT_BODY = (
    "<p>Hi {first_name},</p>"
    "<p>I noticed {company} is hiring engineers in {city}. "
    "We help companies like yours cut onboarding time "
    "without adding headcount, and most of our customers see results within a month.</p>"
    "<p>Would it make sense to talk for 15 minutes next week? If not, no worries at all; "
    "just reply and I will not follow up again.</p>"
    "<p>Best,<br>Alice</p>"
)


def leads(n: int) -> list[dict]:
    return [
        {
            "first_name": f"Name{i}",
            "company": f"Company & Sons {i}",
            "city": "Kraków" if i % 3 else "",
            "email": f"lead{i}@example.com",
        }
        for i in range(n)
    ]


def ours(values: list[dict]) -> float:
    subject, body = parse(SUBJECT), parse(BODY)
    started = time.perf_counter()
    for i, lead in enumerate(values):
        subject.render(lead, seed=i, mode=HEADER)
        body.render(lead, seed=i, mode=HTML)
    return (time.perf_counter() - started) / len(values) * 1e6


def baseline(values: list[dict]) -> float:
    started = time.perf_counter()
    for lead in values:
        FORMAT_SUBJECT.format(**lead)
        FORMAT_BODY.format(**lead)
    return (time.perf_counter() - started) / len(values) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    values = leads(args.n)
    best_ours, best_base = float("inf"), float("inf")
    for i in range(args.rounds):
        best_ours = min(best_ours, ours(values))
        best_base = min(best_base, baseline(values))
        print(f"round {i + 1}: ours {best_ours:.2f} µs/message, str.format {best_base:.2f} µs")
    ratio = best_ours / best_base
    print(f"{args.n} messages (subject + HTML body); best of {args.rounds}")
    result("render", "us_per_message", best_ours, best_base, "ratio <= 10", ratio <= 10)


if __name__ == "__main__":
    main()
