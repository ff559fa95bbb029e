"""Built-in reply classifier accuracy on our own labelled sets (bench/data/replies*.tsv).

Short replies written the way people answer cold email — interested, not interested, neutral,
unsubscribe requests, out-of-office and other auto-replies — in English, German, French,
Spanish, Italian, Dutch, Polish and Portuguese. `replies.tsv` (214) is the set the first rules
were written on; each later round (`replies_round2.tsv` 109, `_round3` 99, `_round4` 91,
`_round5` 80, `_round6` 90) was written as a held-out set, scored once on first sight (0.72,
0.57, 0.64, 0.70, 0.92: the figures to believe, docs/BENCHMARKS.md), then used to widen the
rules. So the accuracies
printed here flatter the rules; a new round must be scored before it is learned from. `auto` is
1 where the mail's headers would mark it automatic (RFC 3834). Reports, for each set, accuracy,
per-label precision and recall, and the misses. The issue sets no threshold: these are figures
to improve on, and the baseline the AI classifier will be compared with.
The remote path (issue 20): `remote_overhead` sends the first set's replies through what a
refinement costs on our side — redaction, the official `openai` SDK, JSON-schema parsing —
against the fake OpenAI server (tests/servers/ai_apis.py) on loopback, and the same requests
as bare `httpx` POSTs of the already-built body (the baseline: network and server). The
difference is our overhead per reply, network excluded; the issue sets no target.
Usage: .venv/bin/python bench/classifier.py [--set replies_round7.tsv] [--remote-n 200]
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import result  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
SETS = {
    "classifier_accuracy": DATA / "replies.tsv",
    "classifier_accuracy_round2": DATA / "replies_round2.tsv",
    "classifier_accuracy_round3": DATA / "replies_round3.tsv",
    "classifier_accuracy_round4": DATA / "replies_round4.tsv",
    "classifier_accuracy_round5": DATA / "replies_round5.tsv",
    "classifier_accuracy_round6": DATA / "replies_round6.tsv",
}


def evaluate(name: str, path: Path) -> None:
    from ai.providers.local import classify

    with path.open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    truth, guesses, misses = [], [], []
    for row in rows:
        guess = classify(row["text"], auto=row["auto"] == "1")
        truth.append(row["label"])
        guesses.append(guess)
        if guess != row["label"]:
            misses.append((row["label"], guess, row["text"]))
    labels = sorted(set(truth))
    print(f"{path.name}: {len(rows)} replies, {len(labels)} labels")
    print(f"{'label':15} {'n':>4} {'precision':>10} {'recall':>8}")
    for label in labels:
        hits = sum(1 for t, g in zip(truth, guesses, strict=True) if t == g == label)
        said = sum(1 for g in guesses if g == label)
        real = sum(1 for t in truth if t == label)
        precision = hits / said if said else 0.0
        print(f"{label:15} {real:>4} {precision:>10.2f} {hits / real:>8.2f}")
    print("misses:")
    for expected, guess, text in misses:
        print(f"  {expected:>14} -> {guess:14} {text[:70]}")
    confusion = Counter((t, g) for t, g in zip(truth, guesses, strict=True) if t != g)
    print("most confused:", confusion.most_common(3))
    accuracy = 1 - len(misses) / len(rows)
    result(name, "accuracy", accuracy, None, "report", True)


def remote_overhead(n: int) -> None:
    import json
    import logging
    import time

    import httpx
    from django.conf import settings

    from ai.labels import DESCRIPTIONS
    from ai.providers.base import REPLY_SCHEMA_NAME, REPLY_SYSTEM, reply_schema
    from ai.providers.openai import OpenAIProvider
    from ai.redaction import Redactor
    from tests.servers.ai_apis import FakeOpenAI

    for name in ("httpx", "httpx2", "openai"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with SETS["classifier_accuracy"].open(encoding="utf-8") as file:
        texts = [row["text"] for row in csv.DictReader(file, delimiter="\t")][:n]
    labels = {str(k): v for k, v in DESCRIPTIONS.items()}
    server = FakeOpenAI().start()
    settings.OPENAI_BASE_URL = f"{server.url}/v1"
    try:
        provider = OpenAIProvider(api_key="sk-bench", model="gpt-4o-mini")
        known = ["Margarethe", "Holland Foods", "margarethe@hollandfoods.nl", "+31 20 555 0199"]

        def ours(text: str) -> None:
            redactor = Redactor(known)
            provider.classify_reply(text=redactor.redact(text), subject="Re: quick question",
                                    labels=labels)  # fmt: skip

        listed = "\n".join(f"- {name}: {text}" for name, text in labels.items())
        bodies = [
            json.dumps({"model": "gpt-4o-mini", "messages": [
                {"role": "system", "content": REPLY_SYSTEM.format(labels=listed)},
                {"role": "user", "content": f"Subject: Re: quick question\n\n{text}"}],
                "response_format": {"type": "json_schema", "json_schema": {
                    "name": REPLY_SCHEMA_NAME, "schema": reply_schema(labels), "strict": True}}})
            for text in texts
        ]  # fmt: skip
        client = httpx.Client(base_url=settings.OPENAI_BASE_URL)

        def bare(body: str) -> None:
            client.post("/chat/completions", content=body,
                        headers={"content-type": "application/json"}).json()  # fmt: skip

        for text, body in zip(texts[:20], bodies[:20], strict=True):  # warm both paths up
            ours(text)
            bare(body)
        timings = {}
        for name, fn, items in (("ours", ours, texts), ("bare", bare, bodies)):
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                for item in items:
                    fn(item)
                best = min(best, time.perf_counter() - start)
            timings[name] = best / len(items) * 1000
    finally:
        server.stop()
    overhead = timings["ours"] - timings["bare"]
    print(f"remote path per reply: {timings['ours']:.2f} ms with redaction + SDK + parsing, "
          f"{timings['bare']:.2f} ms as a bare httpx POST; overhead {overhead:.2f} ms "
          f"({len(texts)} replies, best of 3)")  # fmt: skip
    result("classifier_remote_overhead", "ms_per_reply", timings["ours"], timings["bare"],
           "report (overhead = value - baseline)", True)  # fmt: skip


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--set", help="one file of bench/data (a new round, on first sight)")
    parser.add_argument("--remote-n", type=int, default=200, help="replies for the remote path")
    args = parser.parse_args()
    if args.set:
        evaluate("classifier_accuracy_first_sight", DATA / args.set)
        return
    for name, path in SETS.items():
        evaluate(name, path)
    remote_overhead(args.remote_n)


if __name__ == "__main__":
    main()
