"""How Postigo runs Debian's Chromium headless on a closed network (PLATFORM-NOTES)."""

import os
import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


SCREENSHOTS = os.environ.get("POSTIGO_SCREENSHOTS")  # a directory: also save what the user saw


def shoot(page, name):
    """With POSTIGO_SCREENSHOTS set, the page as it is, in the light and the dark theme."""
    if SCREENSHOTS:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(300)  # let colour transitions finish
            page.screenshot(path=Path(SCREENSHOTS) / f"{name}-{scheme}.png")
        page.emulate_media(color_scheme="light")
