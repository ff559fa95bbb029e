#!/usr/bin/env bash
# Make Debian's Chromium available for the browser tests. Never downloads a browser build:
# it installs the distribution package when running as root, else it says what is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is not installed and this is not root: browser tests will be skipped." >&2
  echo "Install it with: sudo apt-get install chromium" >&2
fi
