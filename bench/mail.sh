#!/usr/bin/env bash
# Mail into tickets over LMTP on a release server: mails per minute and exact threading.
# Usage: bench/mail.sh [customers] [mails per customer] [connections]   (default: 400 5 8)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -n "$DOCKET_BIN" ] || swift build -c release --product docket >/dev/null
data=$(mktemp -d); port=18185
trap 'stop_server; rm -rf "$data"' EXIT
start_server "$data" $port --mail-port 0 --mail-port-file "$data/mail.port"
for _ in $(seq 100); do [ -s "$data/mail.port" ] && break; sleep 0.1; done
admin=$("${DOCKET_BIN:-.build/release/docket}" token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
python3 bench/mail_bench.py "http://127.0.0.1:$port" "$admin" "$(cat "$data/mail.port")" \
  --customers "${1:-400}" --thread "${2:-5}" --connections "${3:-8}"
