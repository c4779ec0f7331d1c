#!/usr/bin/env bash
# Mail into tickets on a release server: mails per minute and exact threading. Over LMTP straight
# to Docket, or with --postfix through a private Postfix instance (scripts/postfix-instance.sh,
# root and Debian's postfix needed) that takes the mail over SMTP and relays it to Docket's LMTP
# receiver, the way a tenant runs it.
# Usage: bench/mail.sh [customers] [mails per customer] [connections] [--postfix]   (default: 400 5 8)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
postfix=""
args=()
for a in "$@"; do if [ "$a" = "--postfix" ]; then postfix=1; else args+=("$a"); fi; done
set -- "${args[@]+"${args[@]}"}"
[ -n "$DOCKET_BIN" ] || swift build -c release --product docket >/dev/null
data=$(mktemp -d); port=18185
pfdir="$data/postfix"
trap '[ -n "$postfix" ] && scripts/postfix-instance.sh stop "$pfdir"; stop_server; rm -rf "$data"' EXIT
mailport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_server "$data" $port --mail-port "$mailport"
admin=$("${DOCKET_BIN:-.build/release/docket}" token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
if [ -n "$postfix" ]; then
  chmod 755 "$data"
  smtp=$(scripts/postfix-instance.sh start "$pfdir" "luxfree.bench=lmtp:$mailport")
  python3 bench/mail_bench.py "http://127.0.0.1:$port" "$admin" "$smtp" --postfix "$pfdir" \
    --customers "${1:-400}" --thread "${2:-5}" --connections "${3:-8}"
else
  python3 bench/mail_bench.py "http://127.0.0.1:$port" "$admin" "$mailport" \
    --customers "${1:-400}" --thread "${2:-5}" --connections "${3:-8}"
fi
