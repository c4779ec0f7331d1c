#!/usr/bin/env bash
# Installs the system packages Docket needs on Debian bookworm (idempotent). With --browser,
# also chromium and chromium-driver, which the console's browser tests drive (Tests/Browser);
# with --mail, Postfix, which the mail tests and bench/mail.sh run as a private instance
# (scripts/postfix-instance.sh). Postfix is installed unconfigured ("No configuration"): the
# system's own Postfix does not start, and it takes the place of another MTA (exim4) if any.
set -euo pipefail
packages=(libsqlite3-dev liblua5.4-dev libmongoc-dev libgmime-3.0-dev pkg-config curl openssl ca-certificates python3 python3-venv)
for flag in "$@"; do
  case "$flag" in
    --browser) packages+=(chromium chromium-driver) ;;
    --mail) packages+=(postfix dovecot-imapd) ;;
    *) echo "unknown flag '$flag' (--browser, --mail)" >&2; exit 1 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  if [[ " ${missing[*]} " == *" postfix "* ]]; then
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH (expected Swift 6.3 at /opt/swift)" >&2; exit 1; }
