"""The local content filter on our labelled set (bench/data/content_filter.jsonl).

324 messages in eight languages (build_content_set.py says how they were written), about half
abusive across the seven categories, half ordinary cold outreach including the hard cases
(invoicing software, password managers, security consultancies, free trials, prices, links).
Reports recall and false-positive rate overall and per category, the misses, and the cost per
message (the send-time check must stay ≤ 1 ms). The set was written after the first rules, so
the first-sight score (docs/BENCHMARKS.md) is the figure to believe.
`content_filter_round2.jsonl` (60 messages, 30 abusive) was written afterwards as a held-out
round and scored once on first sight (docs/BENCHMARKS.md) before any rule changed;
`content_filter_round3.jsonl` (128 messages, 52 abusive) likewise, written without reading the
rules or the other sets.
Usage: .venv/bin/python bench/content_filter.py [--repeat 20] [--set content_filter_round2.jsonl]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import result  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "content_filter.jsonl"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    from ai.labels import fold
    from ai.providers.local import LocalProvider

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20, help="timing passes over the set")
    parser.add_argument("--set", help="another file of bench/data (a new round, on first sight)")
    args = parser.parse_args()
    path = DATA.with_name(args.set) if args.set else DATA
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    local = LocalProvider()

    verdicts = [local.check_content(subject=r["subject"], body=r["body"]).value for r in rows]
    abusive = [(r, v) for r, v in zip(rows, verdicts, strict=True) if r["label"] == "abusive"]
    legit = [(r, v) for r, v in zip(rows, verdicts, strict=True) if r["label"] == "legit"]
    print(f"{len(rows)} messages: {len(abusive)} abusive, {len(legit)} legitimate")

    per_category = defaultdict(lambda: {"n": 0, "caught": 0, "named": 0, "flagged_as": 0})
    for row, verdict in abusive:
        stats = per_category[row["category"]]
        stats["n"] += 1
        stats["caught"] += verdict.blocked
        stats["named"] += row["category"] in verdict.categories
    for _, verdict in legit:
        for category in verdict.categories:
            per_category[category]["flagged_as"] += 1
    print(f"{'category':14} {'n':>4} {'recall':>7} {'named':>7} {'precision':>10} {'fpr':>7}")
    worst_fpr = 0.0
    for category, stats in sorted(per_category.items()):
        said = sum(category in v.categories for _, v in abusive + legit)
        right = sum(category in v.categories for r, v in abusive if r["category"] == category)
        fpr = stats["flagged_as"] / len(legit)
        worst_fpr = max(worst_fpr, fpr)
        recall = stats["caught"] / stats["n"] if stats["n"] else 0.0
        named = stats["named"] / stats["n"] if stats["n"] else 0.0
        precision = right / said if said else 1.0
        print(f"{category:14} {stats['n']:>4} {recall:>7.2f} {named:>7.2f} {precision:>10.2f} "
              f"{fpr:>7.3f}")  # fmt: skip
    by_lang = defaultdict(lambda: [0, 0])
    for row, verdict in abusive:
        by_lang[row["lang"]][0] += verdict.blocked
        by_lang[row["lang"]][1] += 1
    print("recall by language:", {k: round(c / n, 2) for k, (c, n) in sorted(by_lang.items())})
    print("misses (abusive let through):")
    for row, verdict in abusive:
        if not verdict.blocked:
            print(f"  [{row['category']}/{row['lang']}] {verdict.score:.2f} {row['body'][:90]!r}")
    print("false positives (legitimate held):")
    for row, verdict in legit:
        if verdict.blocked:
            print(f"  [{row['lang']}] {verdict.reason} {row['body'][:90]!r}")

    recall = sum(v.blocked for _, v in abusive) / len(abusive)
    fpr = sum(v.blocked for _, v in legit) / len(legit)

    # Cost per message: the filter against folding the same text once (the least any
    # text rule must pay), best of `repeat` passes.
    def timed(fn) -> float:
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            for row in rows:
                fn(row)
            best = min(best, time.perf_counter() - start)
        return best / len(rows) * 1000

    ours = timed(lambda r: local.check_content(subject=r["subject"], body=r["body"]))
    base = timed(lambda r: fold(r["subject"] + "\n" + r["body"]))
    # The send-time check: a lead's merge values (what campaigns/sending/content_gate.py reads).
    from campaigns.sending.content_gate import merge_values_text

    leads = [
        {"first_name": f"Anna{i}", "last_name": "Kowalska", "email": f"anna{i}@firma.pl",
         "company": "Firma Budowlana Sp. z o.o." if i % 2 else "Acme", "phone": "+48 600 100 200",
         "website": "https://firma-budowlana.pl" if i % 3 == 0 else "firma.pl",
         "city": "Kraków", "title": "Head of Sales"}
        for i in range(300)
    ]  # fmt: skip

    def send_check(values):
        text = merge_values_text(values)
        if text:
            local.check_content(subject="", body=text)

    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        for values in leads:
            send_check(values)
        best = min(best, time.perf_counter() - start)
    at_send = best / len(leads) * 1000
    print(f"send-time check of a lead's merge values: {at_send:.3f} ms a message")
    print(f"cost per message: {ours:.3f} ms (folding alone {base:.3f} ms); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    result("content_filter", "recall_abusive", round(recall, 3), None, "value >= 0.9",
           recall >= 0.9)  # fmt: skip
    result("content_filter", "false_positive_rate", round(fpr, 3), None, "value <= 0.03",
           fpr <= 0.03)  # fmt: skip
    result("content_filter", "worst_category_fpr", round(worst_fpr, 3), None, "value <= 0.03",
           worst_fpr <= 0.03)  # fmt: skip
    result("content_filter", "ms_per_message", round(ours, 4), round(base, 4), "value <= 1.0",
           ours <= 1.0)  # fmt: skip
    result("content_filter", "send_check_ms_per_message", round(at_send, 4), None,
           "report (pipeline: ~1.3 ms a message inline, docs/BENCHMARKS.md)", True)  # fmt: skip


if __name__ == "__main__":
    main()
