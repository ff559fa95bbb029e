"""Production settings plus the baseline view of bench/tracking.py (never used by the product)."""

from postigo.settings import *  # noqa: F403

ROOT_URLCONF = "bench.tracking_urls"
