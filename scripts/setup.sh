#!/usr/bin/env bash
# Installs the system packages Docket needs on Debian bookworm (idempotent). With --browser,
# also chromium and chromium-driver, which the console's browser tests drive (Tests/Browser).
set -euo pipefail
packages=(libsqlite3-dev liblua5.4-dev libmongoc-dev libgmime-3.0-dev pkg-config curl openssl ca-certificates python3 python3-venv)
if [ "${1:-}" = "--browser" ]; then packages+=(chromium chromium-driver); fi
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH (expected Swift 6.3 at /opt/swift)" >&2; exit 1; }
