"""DKIM signing: our signer (RSA via cryptography) vs stock dkimpy, RSA-2048, same messages.

Targets: <= 1.5 ms per message, and >= 5x dkimpy's speed.
Usage: .venv/bin/python bench/dkim.py [--n 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

# This file is named like the dkim package; keep its folder from shadowing the package.
_here = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
sys.path.insert(0, str(_here.parent))
import dkim  # noqa: E402
import time_machine  # noqa: E402

from bench._setup import result  # noqa: E402
from smtp_accounts.dkim_signing import DEFAULT_HEADERS, DkimSigner, generate_private_key  # noqa: E402


def messages(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "Alice Archer <alice@acme.example>"
        msg["To"] = f"lead{i}@example.com"
        msg["Subject"] = f"Quick question {i}"
        msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
        msg["Message-ID"] = f"<m{i}@acme.example>"
        msg["List-Unsubscribe"] = f"<https://app.example/u/{i}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg.set_content("Hi,\n" + "A line of a realistic cold email body.\n" * 20)
        out.append(msg.as_bytes(policy=policy.SMTP))
    return out


def per_message_ms(sign, batch: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in batch:
        sign(raw)
    return (time.perf_counter() - started) * 1000 / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    key = generate_private_key()
    batch = messages(args.n)
    signer = DkimSigner(domain="acme.example", selector="s1", private_key_pem=key)
    include = [h.encode() for h in DEFAULT_HEADERS]

    def stock(raw: bytes) -> bytes:
        return dkim.sign(
            raw,
            b"s1",
            b"acme.example",
            key,
            include_headers=include,
            canonicalize=(b"relaxed", b"simple"),
        )

    # Same signatures (at one frozen time), or the comparison means nothing.
    with time_machine.travel(1_795_000_000, tick=False):
        assert signer.sign(batch[0]) == stock(batch[0]), "signatures differ from dkimpy's"
    stock_batch = batch[: max(20, args.n // 5)]  # dkimpy is slow; fewer messages suffice
    ours_ms = min(per_message_ms(signer.sign, batch) for _ in range(3))
    stock_ms = min(per_message_ms(stock, stock_batch) for _ in range(3))
    speedup = stock_ms / ours_ms
    print(f"ours: {ours_ms:.3f} ms/message; dkimpy: {stock_ms:.3f} ms/message; {speedup:.1f}x")
    # ratio = ours / dkimpy's time: at most 0.2 is at least 5x faster.
    passed = ours_ms <= 1.5 and speedup >= 5
    result("dkim", "ms_per_message", ours_ms, stock_ms, "value <= 1.5 and ratio <= 0.2", passed)


if __name__ == "__main__":
    main()
