#!/usr/bin/env bash
# Create throughput over loopback with wrk: a release server on a fresh data dir,
# one customer token, N keep-alive connections for D seconds each.
# Usage: bench/create.sh [duration-seconds] [connections...]   (default: 10 1 8 32)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
swift build -c release --product docket >/dev/null
duration=${1:-10}; shift || true
connections=("${@:-1 8 32}"); [ "$#" -eq 0 ] && connections=(1 8 32)
data=$(mktemp -d); port=18181
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
.build/release/docket serve --port $port --data-dir "$data" --log-level warning &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
export DOCKET_TOKEN=$(.build/release/docket token --tenant default --role customer --subject bench-customer --data-dir "$data" --ttl 1d)
for c in "${connections[@]}"; do
  threads=$(( c < 2 ? c : 2 ))
  echo "== create, $c connection(s), ${duration}s"
  wrk -t$threads -c$c -d${duration}s --latency -s bench/create.lua http://127.0.0.1:$port | grep -E "Requests/sec|Latency |50%|90%|99%|Non-2xx|requests in|Socket errors"
done
echo "server CPU (user+sys ticks): $(awk '{print $14+$15}' /proc/$pid/stat), RSS: $(grep VmRSS /proc/$pid/status | awk '{print $2" "$3}')"
