#!/usr/bin/env bash
# Install Debian's headless-capable Chromium and its matching chromedriver when missing.
# Used by the real-browser dashboard test (tests/dashboard/test_browser.py); nothing else ever
# downloads a browser. Safe to run repeatedly; needs root (or sudo) for apt-get.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
  echo "ensure-browser: $(chromium --version 2>/dev/null | head -1); chromedriver $(chromedriver --version | awk '{print $2}')"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  have sudo || { echo "ensure-browser: need root or sudo to apt-get install chromium" >&2; exit 1; }
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
echo "ensure-browser: installed $(chromium --version 2>/dev/null | head -1)"
