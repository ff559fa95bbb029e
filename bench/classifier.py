"""Built-in reply classifier accuracy on our own labelled sets (bench/data/).

`replies.tsv`: 214 short replies written the way people answer cold email —
interested, not interested, neutral, unsubscribe requests, out-of-office and other
auto-replies — in English, German, French, Spanish, Italian, Dutch, Polish and Portuguese,
including phrasings the rules do not know; the rules were tuned on it.
`replies_heldout.tsv`: 109 more, written after the rules and
never used to change them — its figure is the one to believe. `auto` is 1 where the mail's
headers would mark it automatic (RFC 3834). Reports, for each set, accuracy,
per-label precision and recall, and the misses. The issue sets no threshold: these are figures to
improve on, and the baseline the AI classifier will be compared with.
Usage: .venv/bin/python bench/classifier.py
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
    # The set the rules were tuned on: a figure that flatters them.
    "classifier_accuracy": DATA / "replies.tsv",
    # Written after the rules, never used to change them: the figure to believe.
    "classifier_accuracy_heldout": DATA / "replies_heldout.tsv",
}


def evaluate(name: str, path: Path) -> None:
    from campaigns.reply_labels import classify

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


def main() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()
    for name, path in SETS.items():
        evaluate(name, path)


if __name__ == "__main__":
    main()
