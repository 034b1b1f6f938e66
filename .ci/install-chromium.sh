#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (test/lab/html/browser.test.ts), which drives
# it with playwright-core: Playwright's own browser downloads cannot be fetched here, Debian's
# packages can. The test launches /usr/bin/chromium headless.
#
# Idempotent: when /usr/bin/chromium is there and prints its version, nothing is done.
# Otherwise one `apt-get update` (a fresh machine has no package lists, and old lists may name
# a build the mirror no longer has), then `apt-get install -y chromium`. Needs root (CI is).
set -euo pipefail

BIN=/usr/bin/chromium

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "chromium already installed: $("$BIN" --version 2>/dev/null)"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-chromium: apt-get is needed (a Debian machine)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
# A source other than Debian's failing must not stop us: the install below says if Debian's
# own lists are missing.
apt-get update -qq || echo "install-chromium: apt-get update reported errors; trying anyway" >&2
apt-get install -y -qq chromium >/dev/null
if ! "$BIN" --version >/dev/null 2>&1; then
  echo "install-chromium: the chromium package did not give a working $BIN" >&2
  exit 1
fi
echo "installed $("$BIN" --version 2>/dev/null) in $((SECONDS - start)) s"
