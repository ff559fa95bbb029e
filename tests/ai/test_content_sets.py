"""The offline content filter on the three labelled sets of bench/data, and outreach that must
pass: what the benchmark reports, held as a floor (recall >= 0.9, false positives <= 0.03)."""

import json
from pathlib import Path

import pytest

from ai.content_filter import content_check_local

DATA = Path(__file__).resolve().parents[2] / "bench" / "data"


@pytest.mark.parametrize(
    "name", ["content_filter.jsonl", "content_filter_round2.jsonl", "content_filter_round3.jsonl"]
)
def test_each_labelled_set_meets_the_targets(name):
    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]
    verdicts = [content_check_local(subject=r["subject"], body=r["body"]) for r in rows]
    abusive = [v.blocked for r, v in zip(rows, verdicts, strict=True) if r["label"] == "abusive"]
    legit = [v.blocked for r, v in zip(rows, verdicts, strict=True) if r["label"] == "legit"]
    assert sum(abusive) / len(abusive) >= 0.9
    assert sum(legit) / len(legit) <= 0.03


@pytest.mark.parametrize(
    "body",
    [
        "Just sign in with your Google credentials and you're set.",
        "Your team signs in with their company account, no new password to remember.",
        "We built our app in Next.js: download sdk.js from our docs.",
        "Please keep this confidential: we are preparing a wire transfer integration for banks.",
        "We produce registered ID cards for employees: badge printers for any office.",
        "Risk-free 30-day trial, 20% a month cheaper than your current provider.",
        "Introduza o seu e-mail para receber o nosso catálogo.",
        "Vul uw e-mailadres in en ontvang onze prijslijst.",
        "Our webinar shows how attackers gain access to your webcam and how to stop it.",
    ],
)
def test_outreach_near_the_new_rules_passes(body):
    assert not content_check_local(subject="Hello", body=body).blocked
