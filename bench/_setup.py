"""Shared set-up for benchmarks: a throwaway Django database and the result line (DESIGN §9)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_in_tempdir(extra_apps: tuple[str, ...] = ()) -> Path:
    """Configure Django on a fresh SQLite database in a temporary folder and migrate it.

    `extra_apps` are installed for this run only (e.g. a baseline library under test)."""
    folder = Path(tempfile.mkdtemp(prefix="postigo-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{folder / 'bench.sqlite3'}")
    os.environ["POSTIGO_VAR_DIR"] = str(folder)
    os.environ["DEBUG"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "postigo.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.management import call_command

    if extra_apps:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, *extra_apps]
    django.setup()
    call_command("migrate", verbosity=0)
    return folder


def result(
    bench: str, metric: str, value: float, baseline: float | None, target: str, passed: bool
):
    ratio = round(value / baseline, 3) if baseline else None
    line = {
        "bench": bench,
        "metric": metric,
        "value": round(value, 3),
        "baseline": round(baseline, 3) if baseline is not None else None,
        "ratio": ratio,
        "target": target,
        "pass": passed,
    }
    print(json.dumps(line), flush=True)
    return line


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot, all cores (from /proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and waiting for I/O
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


class Window:
    """A timed stretch: its wall-clock `seconds`, and the CPU seconds the machine was `busy` in
    it — every process, the sink, workers and databases included: what the work cost in all."""

    def __enter__(self):
        self.started, self.busy_before = time.perf_counter(), busy_seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self.busy = busy_seconds() - self.busy_before
