#!/usr/bin/env bash
# Socket.IO with the reference client (python-socketio's AsyncClient, from PyPI, in
# .venv-integrations): events per second through one connection (a replay of N stored events)
# and fan-out of an internal note to S clients (p50/p99), on a release server.
# Usage: bench/socketio.sh [subscribers] [events]   (default: 1000 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
subscribers=${1:-1000}
events=${2:-5000}
swift build -c release --product docket >/dev/null
source bench/lib.sh
socketio_client
ulimit -n 65536 2>/dev/null || true
data=$(mktemp -d); port=18183
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
.build/release/docket serve --port $port --data-dir "$data" --log-level warning --max-connections $((subscribers + 200)) \
  --max-connections-per-address $((subscribers + 200)) --events-retention $((events * 2 + 1000)) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
admin=$(.build/release/docket token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
customer=$(.build/release/docket token --tenant default --role customer --subject bench-customer --data-dir "$data" --ttl 1d)
.venv-integrations/bin/python bench/socketio_bench.py "http://127.0.0.1:$port" "$admin" "$customer" \
  --events "$events" --subscribers "$subscribers" --rounds 20
