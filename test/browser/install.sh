#!/usr/bin/env bash
# Debian's Chromium for the browser tier (test/browser), driven by playwright-core. Nothing is
# downloaded by Playwright itself: the browser is the distribution's package, installed once
# (about 90 MB of packages, a minute) and left in place; a no-op when /usr/bin/chromium exists.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "test/browser/install.sh: /usr/bin/chromium is missing; install it as root: apt-get install -y chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
