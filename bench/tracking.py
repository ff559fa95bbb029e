"""Tracking endpoints under load: the open pixel and the click redirect against a static GIF.

The product runs under gunicorn with production settings (DEBUG off) on PostgreSQL, with its
own Redis (append-only file on, as docs/DEPLOY.md asks) as the tracking buffer. `wrk` (Debian
package) drives 32 connections at (a) a Django view that returns a static GIF from the same
server — the baseline — (b) our pixel, (c) our click redirect, over 1,000 messages' signed URLs;
three rounds in rotating order, the median kept. Targets: (b) and (c) >= 0.7x the baseline's
requests/s, p99 latency < 20 ms.

Then the loss check: wrk on the pixel while Redis is restarted (`SHUTDOWN`, start again on the
same files) in the middle; every pixel answered 200 must be an event after the flush.
Usage: .venv/bin/python bench/tracking.py [--seconds 8] [--workers 3]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)
from bench._setup import result  # noqa: E402

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
CONNECTIONS = 32
MESSAGES = 1000
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36"
LUA = """
wrk.headers["User-Agent"] = "%(agent)s"
local paths = { %(paths)s }
local i = 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; bad = 0; i = math.random(#paths) end
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function response(status, headers, body)
  if status == 200 or status == 302 then ok = ok + 1 else bad = bad + 1 end
end
function done(summary, latency, requests)
  local o, b = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("bad") end
  local p99 = latency:percentile(99) / 1000
  io.write(string.format("POSTIGO ok=%%d bad=%%d p99=%%.3f\\n", o, b, p99))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- inside the product (child processes with the product's environment) ----------------------


def django():
    import django as dj

    dj.setup()


def seed() -> None:
    """Migrate, then 1,000 sent messages with one tracked link each; print their URLs' paths."""
    django()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import Workspace
    from campaigns.authoring.services import campaign_create
    from campaigns.models import Enrollment, Lead, OutboundMessage
    from campaigns.tokens import sign
    from campaigns.tracking.links import CLICK_SALT, OPEN_SALT, store_links_batch

    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.create(name="tracking bench")
    campaign = campaign_create(workspace=workspace, name="bench")
    step = campaign.steps.get()
    leads = Lead.objects.bulk_create(
        Lead(workspace=workspace, email=f"l{i}@x.example", email_normalized=f"l{i}@x.example")
        for i in range(MESSAGES)
    )
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(campaign=campaign, lead=lead, status="completed") for lead in leads
    )
    sent_at = timezone.now() - timezone.timedelta(hours=1)
    messages = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            enrollment=e, step=step, state="sent", recipient=e.lead.email, sent_at=sent_at
        )
        for e in enrollments
    )
    for m in messages:  # what rendering leaves on each message, stored as sending stores it
        m.tracked_links = [f"https://vela.example/case/{m.pk}?utm=x"]
    with transaction.atomic():
        store_links_batch(messages)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would have by now
    print(
        json.dumps(
            {
                "pixel": [reverse("track_open", args=[sign(m.token, OPEN_SALT)]) for m in messages],
                "click": [
                    reverse("track_click", args=[sign(m.token, CLICK_SALT), 1]) for m in messages
                ],
            }
        )
    )


def flush() -> None:
    """Flush the tracking buffer; print how many events exist."""
    django()
    from campaigns.models import Event
    from campaigns.tracking.flush import tracking_flush

    tracking_flush()
    print(json.dumps({"events": Event.objects.count()}))


def clear() -> None:
    """Drop what the throughput rounds buffered, before the loss check."""
    django()
    from django.conf import settings

    from campaigns.models import Event, TrackingHit
    from campaigns.tracking.buffer import _redis

    _redis().delete(settings.TRACKING_STREAM)
    TrackingHit.objects.all().delete()
    Event.objects.all().delete()


# --- the driver ---------------------------------------------------------------------------------


class Redis:
    def __init__(self, folder: Path):
        self.port, self.folder = free_port(), folder

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--daemonize",
             "yes", "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync",
             "everysec", "--save", "", "--logfile", str(self.folder / "redis.log")],
            check=True,
        )  # fmt: skip
        self.wait(up=True)

    def shutdown(self) -> None:
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], check=False)
        self.wait(up=False)

    def wait(self, *, up: bool) -> None:
        for _ in range(100):
            ping = subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
            )
            if (ping.stdout.strip() == "PONG") == up:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis did not {'start' if up else 'stop'}")


def product(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def wrk(url: str, script: Path, seconds: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    summary = re.search(r"POSTIGO ok=(\d+) bad=(\d+) p99=([\d.]+)", out)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {
        "rps": rps,
        "ok": int(summary.group(1)),
        "bad": int(summary.group(2)),
        "p99_ms": float(summary.group(3)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="gthread worker threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=["seed", "flush", "clear"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        {"seed": seed, "flush": flush, "clear": clear}[args.child]()
        return
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    import psycopg

    folder = Path(tempfile.mkdtemp(prefix="postigo-tracking-"))
    database = f"postigo_tracking_{os.getpid()}"
    redis = Redis(folder)
    web_port = free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.tracking_settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="127.0.0.1",
        POSTIGO_ENCRYPTION_KEYS="k1:" + base64.b64encode(os.urandom(32)).decode(),
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{database}",
        REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
        POSTIGO_VAR_DIR=str(folder),
        PYTHONPATH=str(ROOT),
    )
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    web = None
    try:
        redis.start()
        paths = json.loads(product(env, "--child", "seed"))
        paths["static"] = ["/bench/static.gif"]
        scripts = {}
        for name, items in paths.items():
            scripts[name] = folder / f"{name}.lua"
            scripts[name].write_text(
                LUA % {"agent": USER_AGENT, "paths": ", ".join(f'"{p}"' for p in items)}
            )
        web = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "postigo.wsgi:application",
             "--workers", str(args.workers), "--bind", f"127.0.0.1:{web_port}",
             *(["--worker-class", "gthread", "--threads", str(args.threads)]
               if args.threads > 1 else []),
             "--chdir", str(ROOT), "--log-level", "warning"],
            env=env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{web_port}"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", web_port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        for name in scripts:  # warm every worker on every path
            wrk(base, scripts[name], 2)

        rounds: dict[str, list[dict]] = {"static": [], "pixel": [], "click": []}
        order = list(rounds)
        for r in range(args.rounds):
            for name in order[r % 3 :] + order[: r % 3]:
                figures = wrk(base, scripts[name], args.seconds)
                rounds[name].append(figures)
                print(
                    f"round {r + 1} {name:6}: {figures['rps']:8.0f} req/s, "
                    f"p99 {figures['p99_ms']:5.1f} ms, {figures['bad']} errors",
                    flush=True,
                )
        median = {
            name: {
                "rps": statistics.median(f["rps"] for f in runs),
                "p99_ms": statistics.median(f["p99_ms"] for f in runs),
                "bad": sum(f["bad"] for f in runs),
            }
            for name, runs in rounds.items()
        }

        product(env, "--child", "clear")
        restart_after = args.seconds / 2
        loss = subprocess.Popen(
            ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{args.seconds + 2}s", "-s",
             str(scripts["pixel"]), base],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(restart_after)
        redis.shutdown()
        time.sleep(1)
        redis.start()
        out = loss.communicate()[0]
        answered = int(re.search(r"POSTIGO ok=(\d+)", out).group(1))
        events = json.loads(product(env, "--child", "flush"))["events"]
        print(
            f"loss check: {answered} pixels answered while Redis restarted, {events} events "
            f"recorded ({answered - events if answered > events else 0} lost)"
        )
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
        redis.shutdown()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)

    static = median["static"]
    for name in ("pixel", "click"):
        ours = median[name]
        result(
            f"tracking_{name}_rps",
            "requests_per_s",
            ours["rps"],
            static["rps"],
            "ratio >= 0.7",
            ours["rps"] / static["rps"] >= 0.7 and ours["bad"] == 0,
        )
        result(
            f"tracking_{name}_p99",
            "ms",
            ours["p99_ms"],
            static["p99_ms"],
            "value < 20",
            ours["p99_ms"] < 20,
        )
    # Every answered pixel is an event; a few more may exist (answered as wrk stopped).
    result(
        "tracking_no_loss_across_redis_restart",
        "events_per_answered_pixel",
        events,
        answered,
        "value >= baseline",
        events >= answered,
    )


if __name__ == "__main__":
    main()
