#!/usr/bin/env bash
# WebSocket fan-out: a release server on a fresh data dir, N subscribers in the staff room of
# one tenant, an internal note broadcast R times; delivery latency and server memory per connection.
# Usage: bench/fanout.sh [subscribers...]   (default: 1000 5000)
# DOCKET_BIN=path serves with that build instead of building .build/release/docket (to compare two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DOCKET_BIN:-.build/release/docket}
[ -n "${DOCKET_BIN:-}" ] || swift build -c release --product docket >/dev/null
swift build -c release --product docket-load >/dev/null
counts=("${@:-1000 5000}"); [ "$#" -eq 0 ] && counts=(1000 5000)
ulimit -n 65536 2>/dev/null || true
for n in "${counts[@]}"; do
  data=$(mktemp -d); port=18182
  export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
  "$bin" serve --port $port --data-dir "$data" --log-level warning --max-connections $((n + 100)) --max-connections-per-address $((n + 100)) &
  pid=$!
  for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
  token=$("$bin" token --tenant default --role admin --subject fanout-admin --data-dir "$data" --ttl 1d)
  echo "== fan-out to $n subscribers"
  .build/release/docket-load fanout --url http://127.0.0.1:$port --token "$token" --subscribers "$n" --rounds 20 \
    --server-pid $pid --json "bench/results/fanout-$n.json" || true
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$data"
done
