#!/usr/bin/env bash
# Webhook deliveries per second to a local receiver (N events waiting, one endpoint) and the
# retry schedule observed against a receiver that fails F times, on a release server.
# Usage: bench/webhooks.sh [events] [failures]   (default: 2000 5)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-2000}
failures=${2:-5}
swift build -c release --product docket >/dev/null
data=$(mktemp -d); port=18184
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
.build/release/docket serve --port $port --data-dir "$data" --log-level warning --webhooks-allow-private-addresses true \
  --events-retention $((events * 2 + 1000)) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
admin=$(.build/release/docket token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
customer=$(.build/release/docket token --tenant default --role customer --subject bench-customer --data-dir "$data" --ttl 1d)
python3 bench/webhooks_bench.py "http://127.0.0.1:$port" "$admin" "$customer" --events "$events" --failures "$failures"
