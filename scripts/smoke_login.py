"""Log in to a running Postigo as the demo user with a plain HTTP client; exit 1 on failure."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import httpx


def main(base: str, credentials_file: str) -> int:
    email, password = Path(credentials_file).read_text().split()[:2]
    with httpx.Client(base_url=base, follow_redirects=True, timeout=15) as client:
        page = client.get("/accounts/login/")
        page.raise_for_status()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not token:
            print("no CSRF token on the login page")
            return 1
        response = client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token.group(1), "login": email, "password": password},
            headers={"Referer": base + "/accounts/login/"},
        )
        if response.url.path != "/" or email not in response.text:
            print(f"login failed: ended at {response.url} ({response.status_code})")
            return 1
    print(f"smoke login as {email}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
