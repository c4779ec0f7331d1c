#!/usr/bin/env bash
# Rules' timers across a crash: N tickets each get a timer due 2 minutes after creation, created
# over 60 s on the embedded store; at DIE seconds (default 150: while the timers fire) the process
# kills itself with SIGKILL; a second process on the same data directory, as a restarted server,
# fires the rest and measures every timer of the run from the live event log (how late after its
# due time, and that each fired once).
# Usage: bench/timers-kill.sh [tickets] [die-seconds]   DOCKET_LOAD_BIN=path uses that build.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DOCKET_LOAD_BIN:-.build/release/docket-load}
[ -n "${DOCKET_LOAD_BIN:-}" ] || swift build -c release --product docket-load >/dev/null
tickets=${1:-100000}; die=${2:-150}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
status=0
"$bin" timers --tickets "$tickets" --delay 2m --over 60 --data-dir "$data" --die-after "$die" || status=$?
echo "first process ended with status $status (137: SIGKILL); restarting on the same data directory"
"$bin" timers --tickets "$tickets" --delay 2m --data-dir "$data" --resume
