"""Webhook delivery rate: 10,000 events posted, signed, to a local receiver, against a bare
httpx loop posting the same payloads to the same receiver in the same run (target >= 0.5x).

Ours is `api.webhooks.deliver_due`, as the Celery task runs it: claim due deliveries in batches,
resolve and check the endpoint's address (SSRF guard), sign each payload (Standard Webhooks),
post it on the pinned connection, and write the delivery log in bulk. The events are emitted
first (the outbox rows), outside the timing. SQLite, as an embedded install runs.
Usage: .venv/bin/python bench/webhooks.py [--n 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import Window, django_in_tempdir, result  # noqa: E402


class ReceiverAddress:
    def __init__(self, port: int):
        self.port = port

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


def serve(ready) -> None:
    from tests.servers.webhooks import WebhookReceiver

    receiver = WebhookReceiver(record=False)
    ready.put(receiver.port)
    receiver.server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    django_in_tempdir()
    import httpx

    from accounts.models import Workspace
    from api.models import WebhookDelivery, WebhookEvent
    from api.services import webhook_endpoint_create
    from api.webhooks import deliver_due, payload_of, webhooks_emit_many

    # The receiver runs in a process of its own, as a real one would: in this process its
    # threads would compete for the GIL with the code measured.
    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(ready,), daemon=True)
    server.start()
    receiver = ReceiverAddress(ready.get(timeout=30))
    try:
        workspace = Workspace.objects.create(name="bench")
        webhook_endpoint_create(workspace=workspace, url=receiver.url(), events=[])
        items = [
            {
                "message_id": i,
                "recipient": f"lead{i}@x.example",
                "subject": "Idea for you",
                "campaign": {"id": 1, "name": "Q1"},
                "lead": {"id": i, "email": f"lead{i}@x.example"},
            }
            for i in range(args.n)
        ]
        for start in range(0, args.n, 1000):
            webhooks_emit_many(
                workspace=workspace, event="email.sent", items=items[start : start + 1000]
            )
        bodies = [payload_of(event) for event in WebhookEvent.objects.order_by("pk")]

        # Baseline: the same bodies, one client, no signing, no bookkeeping.
        with Window() as bare, httpx.Client(trust_env=False) as client:
            for body in bodies:
                client.post(
                    receiver.url(), content=body, headers={"content-type": "application/json"}
                ).raise_for_status()

        with Window() as ours:
            delivered = deliver_due()
        assert delivered == args.n
        succeeded = WebhookDelivery.objects.filter(status="succeeded").count()
        assert succeeded == args.n, succeeded
    finally:
        server.terminate()
    ours_rate, bare_rate = args.n / ours.seconds, args.n / bare.seconds
    print(
        f"{args.n} events: ours {ours.seconds:.2f} s ({ours_rate:,.0f}/s, machine busy "
        f"{ours.busy:.1f} CPU-s), bare httpx loop {bare.seconds:.2f} s ({bare_rate:,.0f}/s, "
        f"busy {bare.busy:.1f} CPU-s)"
    )
    result(
        "webhooks",
        "deliveries_per_second_vs_bare_httpx",
        ours_rate,
        bare_rate,
        "ratio >= 0.5",
        ours_rate >= 0.5 * bare_rate,
    )


if __name__ == "__main__":
    main()
