#!/usr/bin/env bash
# REST load with docket-load run: every client with its own token, keep-alive, D seconds per
# concurrency level. read runs on a seeded data set (SEED tickets, default 10000).
# Usage: bench/load.sh [workload...]   (default: create mixed read)
#   DURATION=10 CONCURRENCY=1,8,32 SEED=10000 bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_release
workloads=("${@:-create mixed read}"); [ "$#" -eq 0 ] && workloads=(create mixed read)
duration=${DURATION:-10}; concurrency=${CONCURRENCY:-1,8,32}; seed=${SEED:-10000}
mkdir -p bench/results
trap stop_server EXIT
for w in "${workloads[@]}"; do
  data=$(mktemp -d); port=18184
  if [ "$w" = read ]; then
    start_server "$data" $port; stop_server
    .build/release/docket-load seed --data-dir "$data" --tickets "$seed" | tail -1
  fi
  start_server "$data" $port
  .build/release/docket-load run --url http://127.0.0.1:$port --secret "$DOCKET_JWT_SECRET" --workload "$w" \
    -c "$concurrency" -d "$duration" --server-pid "$SERVER_PID" --json "bench/results/$w.json"
  stop_server
  rm -rf "$data"
done
