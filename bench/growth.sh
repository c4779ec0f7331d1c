#!/usr/bin/env bash
# Growth: the read and mixed workloads on 10k, 100k and 1M seeded tickets, to see how the
# per-operation cost grows with the data (the goal is flat: index-backed, no scans).
# Usage: bench/growth.sh [sizes...]   (default: 10000 100000 1000000)
#   DURATION=10 CONCURRENCY=8 bench/growth.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_release
sizes=("${@:-10000 100000 1000000}"); [ "$#" -eq 0 ] && sizes=(10000 100000 1000000)
duration=${DURATION:-10}; concurrency=${CONCURRENCY:-8}
mkdir -p bench/results
trap stop_server EXIT
for n in "${sizes[@]}"; do
  data=$(mktemp -d); port=18185
  start_server "$data" $port; stop_server
  start=$(date +%s)
  .build/release/docket-load seed --data-dir "$data" --tickets "$n" | tail -1
  echo "seeded $n tickets in $(( $(date +%s) - start )) s; database $(du -sh "$data" | cut -f1)"
  start_server "$data" $port
  for w in read mixed; do
    .build/release/docket-load run --url http://127.0.0.1:$port --secret "$DOCKET_JWT_SECRET" --workload $w \
      -c "$concurrency" -d "$duration" --server-pid "$SERVER_PID" --json "bench/results/growth-$n-$w.json"
  done
  echo "server RSS with $n tickets: $(grep VmRSS /proc/$SERVER_PID/status | awk '{print $2" "$3}')"
  stop_server
  rm -rf "$data"
done
