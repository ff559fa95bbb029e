#!/usr/bin/env bash
# Make the real peers the tests talk to available: Debian's Chromium (browser tests), dovecot
# (a real IMAP server), wrk (bench/tracking.py's load generator) and GNU gettext (the
# translation check). Never downloads a browser
# build: it installs distribution packages when running as root, else it says what is missing
# (those tests then skip, except under CI=true, where they fail).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# GNU gettext: tests/platform/test_translations.py extracts the messages (makemessages) and
# checks the committed French catalogue against them.
command -v msgattrib >/dev/null 2>&1 || missing+=(gettext)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # The packaged system dovecot is not needed: the tests start private instances.
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now dovecot >/dev/null 2>&1 || true; fi
else
  echo "Missing for some tests (not root, so not installed): ${missing[*]}" >&2
  echo "Install with: sudo apt-get install ${missing[*]}" >&2
fi
