"""Sender throughput: our sender vs a bare smtplib loop, one reused connection each, same sink.

Both sides send the same pre-rendered messages over STARTTLS + AUTH to one aiosmtpd sink on
loopback. Ours also classifies every reply and writes its SendLog rows. Target: ratio >= 0.9.
Usage: .venv/bin/python bench/sender.py [--n 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import smtplib
import ssl
import sys
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

# The project root instead of this folder: bench/dkim.py would shadow the dkim package.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
from bench._setup import django_in_tempdir, result  # noqa: E402


def build_messages(n: int):
    from smtp_accounts.sender import OutgoingMessage

    body = "Hi there,\n\n" + "\n".join(
        "A short cold email line of realistic length, about seventy characters." for _ in range(20)
    )
    messages = []
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "Alice <sender@acme.example>"
        msg["To"] = f"lead{i}@example.com"
        msg["Subject"] = f"Quick question {i}"
        msg["Message-ID"] = f"<bench{i}@acme.example>"
        msg.set_content(body)
        messages.append(
            OutgoingMessage(
                f"lead{i}@example.com", msg.as_bytes(policy=policy.SMTP), msg["Message-ID"]
            )
        )
    return messages


def bare_smtplib(server, messages) -> float:
    context = ssl.create_default_context(cafile=str(server.cert))
    started = time.perf_counter()
    with smtplib.SMTP("localhost", server.port) as client:
        client.starttls(context=context)
        client.login(server.username, server.password)
        for m in messages:
            client.sendmail("sender@acme.example", [m.recipient], m.raw)
    return len(messages) / (time.perf_counter() - started)


def ours(mailbox, messages) -> float:
    from smtp_accounts.replies import Outcome
    from smtp_accounts.sender import send_messages

    started = time.perf_counter()
    results = list(send_messages(mailbox, messages, recycle_after=len(messages)))
    elapsed = time.perf_counter() - started
    assert all(r.outcome is Outcome.SENT for r in results), results[:3]
    return len(messages) / elapsed


SINK = """
import sys, time, pathlib, tempfile
sys.path.insert(0, sys.argv[1])
from tests.servers.smtp import TestSMTPServer
class Discard(list):
    def append(self, item):
        return None  # a sink keeps nothing
server = TestSMTPServer(pathlib.Path(tempfile.mkdtemp()))
server.received = Discard()  # a sink: keep nothing in memory
server.start()
print(server.port, server.cert, flush=True)
sys.stdin.read()  # until the benchmark closes our stdin
server.stop()
"""


class Sink:
    """The aiosmtpd sink in its own process, as a real server would be."""

    def __init__(self):
        import subprocess

        from tests.servers.smtp import TestSMTPServer

        self.proc = subprocess.Popen(
            [sys.executable, "-c", SINK, str(Path(__file__).resolve().parent.parent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        port, cert = self.proc.stdout.readline().split()
        self.port, self.cert = int(port), Path(cert)
        self.username, self.password = TestSMTPServer.username, TestSMTPServer.password

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    django_in_tempdir()
    from django.conf import settings

    from accounts.models import Workspace
    from smtp_accounts.models import Mailbox

    server = Sink()
    settings.MAILBOX_ALLOW_PRIVATE_NETWORKS = True
    settings.MAILBOX_TLS_CA_FILE = str(server.cert)
    workspace = Workspace.objects.create(name="bench")
    mailbox = Mailbox.objects.create(
        workspace=workspace,
        email="sender@acme.example",
        smtp_host="localhost",
        smtp_port=server.port,
        smtp_security="starttls",
        smtp_username=server.username,
        smtp_password=server.password,
    )
    messages = build_messages(args.n)
    rounds = []
    try:
        for i in range(args.rounds):
            # Back to back, alternating which goes first, so drift hits both alike.
            if i % 2:
                ours_rate, bare_rate = ours(mailbox, messages), bare_smtplib(server, messages)
            else:
                bare_rate, ours_rate = bare_smtplib(server, messages), ours(mailbox, messages)
            rounds.append((ours_rate, bare_rate))
            print(f"round {i + 1}: bare {bare_rate:.0f}/s, ours {ours_rate:.0f}/s")
    finally:
        server.stop()
    # The median round by ratio: the machine is noisy, one lucky round should not decide.
    ours_rate, bare_rate = sorted(rounds, key=lambda r: r[0] / r[1])[len(rounds) // 2]
    print(f"{args.n} messages a round; median: bare {bare_rate:.0f}/s, ours {ours_rate:.0f}/s")
    ratio = ours_rate / bare_rate
    result("sender", "messages_per_second", ours_rate, bare_rate, "ratio >= 0.9", ratio >= 0.9)


if __name__ == "__main__":
    main()
