"""Screenshot the main pages of a running Postigo in light and dark theme.

Usage: .venv/bin/python scripts/screenshots.py [base_url] [email] [password]
Defaults to the `make run` demo user; PNGs go to var/screenshots/.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PAGES = [
    "/",
    "/campaigns/",
    "/inbox/",
    "/reports/",
    "/leads/",
    "/mailboxes/",
    "/mailboxes/domains/",
    "/billing/",
    "/settings/security/",
    "/workspace/",
    "/settings/",
    "/settings/privacy/",
    "/legal/privacy/",
]


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    creds = (root / "var/demo-credentials.txt").read_text().split()
    email = sys.argv[2] if len(sys.argv) > 2 else creds[0]
    password = sys.argv[3] if len(sys.argv) > 3 else creds[1]
    out = root / "var/screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            page = browser.new_page(color_scheme=scheme, viewport={"width": 1360, "height": 860})
            page.goto(base + "/accounts/login/")
            page.screenshot(path=out / f"login-{scheme}.png")
            page.goto(base + "/accounts/signup/")
            page.screenshot(path=out / f"signup-{scheme}.png")
            page.goto(base + "/accounts/login/")
            page.fill("input[name=login]", email)
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path in PAGES:
                page.goto(base + path)
                name = path.strip("/").replace("/", "-") or "home"
                page.screenshot(path=out / f"{name}-{scheme}.png", full_page=True)
            # The first campaign's sequence and report (the demo campaign on `make run`).
            page.goto(base + "/campaigns/")
            found = page.locator("td a[href^='/campaigns/']")
            if found.count():
                campaign = found.first.get_attribute("href").split("/")[2]
                for part in ("sequence", "review", "report"):
                    page.goto(f"{base}/campaigns/{campaign}/{part}/")
                    page.screenshot(path=out / f"campaign-{part}-{scheme}.png", full_page=True)
            page.close()
        browser.close()
    print(f"Screenshots in {out}")


if __name__ == "__main__":
    main()
