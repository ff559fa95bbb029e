"""Bounce reports: recall and precision of failed-address extraction and of the recipient /
temporary / sender-side classification, per format; wrong suppressions; parse cost per report.

The labelled set is our own (`tests/campaigns/bounce_shapes.py`): 19 formats (RFC 3464, Postfix,
Exim, Sendmail, V5 sendmail, qmail, Exchange/Office 365, legacy Exchange, Gmail, Yahoo, Zoho,
Amazon SES, WorkMail, OpenSMTPD, DragonFly DMA, Lotus Notes, mFILTER, X1, KDDI/au) × 18 failure
cases (6 recipient-side, 4 temporary, 8 sender-side) × with and without the returned headers:
684 reports. Each is about one real message: a campaign of as many leads is launched and sent to
a local aiosmtpd sink first, then every report goes through the inbox's real `receive_batch`
(50 at a time, on a fresh SQLite database), and the database says what happened.

- extraction recall: reports tied to the right message (so to its recipient);
- extraction precision: of the reports tied to a message, those tied to the right one;
- wrong suppressions: suppressed entries that are not a recipient-side failure's recipient
  (sender-side and first temporary failures must suppress nothing; target 0);
- classification: per side, precision and recall of `Reply.failure` against the label;
- parse cost: µs per report of reading it (`report_failures` + `quoted_message_ids`), and of the
  whole `receive_batch` per report; baseline, in the same run, what the inbox read before this
  issue: flufl.bounce's first detector that finds anything (its recall and its cost).

Usage: .venv/bin/python bench/bounces.py [--formats postfix,exim]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402
from bench.sender import Sink  # noqa: E402

SIDES = ("recipient", "temporary", "sender")


def sent_messages(server, n: int):
    """n messages sent for real (through the sink), in order."""
    import time_machine

    from bench.pipeline import launched
    from campaigns.models import OutboundMessage
    from campaigns.sending.dispatch import dispatch_tick
    from postigo.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    senders, due = launched(server, n, "bounces")
    with time_machine.travel(due):
        sum(iter(dispatch_tick, 0))
    messages = list(OutboundMessage.objects.filter(state="sent").order_by("pk"))
    states = Counter(OutboundMessage.objects.values_list("state", "smtp_response"))
    assert len(messages) == n, states.most_common(3)
    return senders[0], messages


def baseline_addresses(parsed) -> set[str]:
    """What the inbox read before: the first flufl.bounce detector that finds anything."""
    from flufl.bounce._scan import _DETECTORS

    for detector in _DETECTORS:
        try:
            temporary, permanent = detector().process(parsed)
        except Exception:
            continue
        if temporary or permanent:
            return {
                (a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)).lower()
                for a in (*temporary, *permanent)
            }
    return set()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="")
    parser.add_argument("--round", type=int, default=1, help="2: the round written afterwards")
    args = parser.parse_args()
    django_in_tempdir()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from campaigns.inbox.bounce_reading import quoted_message_ids, report_failures
    from campaigns.inbox.mail_reading import fingerprint
    from campaigns.inbox.receive import receive_batch
    from campaigns.models import Reply, Suppression
    from tests.campaigns import bounce_shapes as shapes

    formats = {
        k: v for k, v in shapes.FORMATS.items() if not args.formats or k in args.formats.split(",")
    }
    cases = shapes.CASES if args.round == 1 else shapes.CASES_ROUND2
    n = len(formats) * len(cases) * 2
    sink = Sink()
    settings.DEBUG = False  # no query log
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(sink.cert)
    try:
        mailbox, messages = sent_messages(sink, n)
    finally:
        sink.stop()

    def about(i: int):
        return messages[i].recipient, messages[i].message_id

    reports = shapes.labelled_reports(about, formats=formats, cases=cases)
    own = frozenset({mailbox.email})

    # Parse cost: ours and the baseline's, on the same parsed reports.
    parsed = [email.message_from_bytes(r.raw, policy=email.policy.compat32) for r in reports]
    start = time.perf_counter()
    for p, r in zip(parsed, reports, strict=True):
        report_failures(p, r.raw, own=own)
        quoted_message_ids(p, r.raw)
    ours_us = (time.perf_counter() - start) / len(reports) * 1e6
    start = time.perf_counter()
    baseline_found = [
        r.returned.recipient in baseline_addresses(p) for p, r in zip(parsed, reports, strict=True)
    ]
    base_us = (time.perf_counter() - start) / len(reports) * 1e6

    # The whole inbox path.
    start = time.perf_counter()
    for k in range(0, len(reports), 50):
        receive_batch(mailbox, [(r.raw, messages[0].sent_at) for r in reports[k : k + 50]])
    receive_us = (time.perf_counter() - start) / len(reports) * 1e6

    replies = {reply.fingerprint: reply for reply in Reply.objects.filter(kind="bounce")}
    index_of = {m.message_id: i for i, m in enumerate(messages)}
    wrongly_tied = 0
    per_format: dict[str, Counter] = defaultdict(Counter)
    confusion: Counter = Counter()
    for i, labelled in enumerate(reports):
        stats = per_format[labelled.format]
        stats["n"] += 1
        stats["baseline"] += baseline_found[i]
        message = messages[index_of[labelled.returned.message_id]]
        reply = replies.get(fingerprint(parsed[i], labelled.raw))
        if reply is not None and reply.message_id != message.pk:
            wrongly_tied += 1
        elif reply is not None:
            stats["found"] += 1
            stats["side_right"] += reply.failure == labelled.returned.case.side
            confusion[(labelled.returned.case.side, reply.failure)] += 1
    right = sum(s["found"] for s in per_format.values())
    tied = right + wrongly_tied
    should = {r.returned.recipient for r in reports if r.returned.case.side == "recipient"}
    suppressed = set(Suppression.objects.values_list("value", flat=True))
    wrong = suppressed - should
    missed_suppressions = should - suppressed

    print(f"{len(reports)} reports, {len(formats)} formats; µs per report: parse "
          f"{ours_us:.0f}, baseline (flufl.bounce) {base_us:.0f}, whole receive_batch "
          f"{receive_us:.0f}")  # fmt: skip
    print(f"{'format':16} {'n':>4} {'recall':>7} {'flufl':>6} {'side ok':>8}")
    for name, s in per_format.items():
        print(
            f"{name:16} {s['n']:>4} {s['found'] / s['n']:>7.2f} {s['baseline'] / s['n']:>6.2f} "
            f"{s['side_right'] / max(s['found'], 1):>8.2f}"
        )
    print(f"{'side':10} {'precision':>9} {'recall':>7}")
    for side in SIDES:
        hits = confusion[(side, side)]
        said = sum(v for (_t, g), v in confusion.items() if g == side)
        real = sum(v for (t, _g), v in confusion.items() if t == side)
        print(f"{side:10} {hits / max(said, 1):>9.3f} {hits / max(real, 1):>7.3f}")
    print(f"suppressed {len(suppressed)}, wrong {len(wrong)}, recipient-side not suppressed "
          f"{len(missed_suppressions)}")  # fmt: skip
    recall = right / len(reports)
    precision = right / tied if tied else 0.0
    baseline_recall = sum(baseline_found) / len(reports)
    sides_right = sum(confusion[(s, s)] for s in SIDES) / max(sum(confusion.values()), 1)
    result("bounces", "parse_us_per_report", round(ours_us), round(base_us), "printed", True)
    result("bounces", "classification_accuracy", round(sides_right, 3), None, ">= 0.95",
           sides_right >= 0.95)  # fmt: skip
    result("bounces", "extraction_precision", round(precision, 3), None, ">= 0.95",
           precision >= 0.95)  # fmt: skip
    result("bounces", "wrong_suppressions", len(wrong), None, "== 0", not wrong)
    result("bounces", "extraction_recall", round(recall, 3), round(baseline_recall, 3),
           ">= 0.95", recall >= 0.95)  # fmt: skip


if __name__ == "__main__":
    main()
