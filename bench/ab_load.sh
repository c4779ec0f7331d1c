#!/usr/bin/env bash
# Two builds of docket under the same REST workload at the same time (bench/ab_create.sh's twin
# for docket-load's mixed and read work): each build its own server and data directory, each
# driven by its own docket-load with N clients, for D seconds, R rounds. Run one after the other,
# two runs of one build moved by a quarter within minutes on this machine; side by side, both
# see the same minutes, so the ratio of their server CPU per request is what one build costs
# over the other. They share the two cores: absolute figures are not comparable with
# bench/load.sh's, the ratio is.
# Usage: bench/ab_load.sh BUILD_A BUILD_B [mixed|read] [duration-seconds] [clients-each] [rounds]
#   SEED=10000: tickets seeded into each store first for read (docket-load seed).
#   AB_MONGO=mongodb://HOST:PORT: both serve from that MongoDB (each build a fresh database of its
#   own, the stand-in's `?directConnection=true` added) instead of the embedded store; mixed only.
#   The stand-in is slow by design: the ratio of Docket's own CPU per request is the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1; b=$2; workload=${3:-mixed}; duration=${4:-20}; clients=${5:-8}; rounds=${6:-3}; seed=${SEED:-10000}
case "$workload" in mixed|read) ;; *) echo "workload is mixed or read" >&2; exit 2 ;; esac
[ -z "${AB_MONGO:-}" ] || [ "$workload" = mixed ] || { echo "on MongoDB the workload is mixed (read seeds the embedded store)" >&2; exit 2; }
source bench/lib.sh
swift build -c release --product docket-load >/dev/null
load=.build/release/docket-load
pids=(); dirs=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "${dirs[@]}"; }
trap cleanup EXIT
figure() { # file pattern: the number after the pattern in docket-load's summary
  awk -v p="$2" 'index($0, p) { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) { print $i; exit } }' "$1"
}
for round in $(seq "$rounds"); do
  ports=(18283 18284); bins=("$a" "$b"); pids=(); dirs=()
  for i in 0 1; do
    data=$(mktemp -d); dirs+=("$data")
    port_free "${ports[$i]}"
    if [ "$workload" = read ]; then
      # The store's schema comes from the build that serves it; then the same seed in both.
      "${bins[$i]}" serve --port "${ports[$i]}" --data-dir "$data" --log-level warning & pid=$!
      for _ in $(seq 300); do curl -sf "localhost:${ports[$i]}/health" >/dev/null && break; sleep 0.1; done
      kill "$pid"; wait "$pid" 2>/dev/null || true
      "$load" seed --data-dir "$data" --tickets "$seed" >/dev/null
    fi
    if [ -n "${AB_MONGO:-}" ]; then
      DOCKET_MONGO_URI="$AB_MONGO/docket_ab_${round}_${i}_$$?directConnection=true" \
        "${bins[$i]}" serve --port "${ports[$i]}" --data-dir "$data" --log-level warning & pids+=($!)
    else
      "${bins[$i]}" serve --port "${ports[$i]}" --data-dir "$data" --log-level warning & pids+=($!)
    fi
  done
  for i in 0 1; do
    for _ in $(seq 300); do curl -sf "localhost:${ports[$i]}/health" >/dev/null && break; sleep 0.1; done
  done
  clients_pids=()
  for i in 0 1; do
    "$load" run --url "http://127.0.0.1:${ports[$i]}" --secret "$DOCKET_JWT_SECRET" --workload "$workload" \
      -c "$clients" -d "$duration" --server-pid "${pids[$i]}" > "${dirs[$i]}/load.out" 2>&1 &
    clients_pids+=($!)
  done
  wait "${clients_pids[@]}"
  line="round $round:"
  per=()
  for i in 0 1; do
    cpu=$(figure "${dirs[$i]}/load.out" "server CPU per operation")
    rate=$(figure "${dirs[$i]}/load.out" "iterations/s")
    [ -n "$cpu" ] || { cat "${dirs[$i]}/load.out" >&2; exit 1; }
    per+=("$cpu")
    line+=" $([ $i = 0 ] && echo A || echo B) $rate iterations/s, $cpu ms CPU per request;"
  done
  echo "$line B/A = $(python3 -c "print(f'{${per[1]}/${per[0]}:.3f}')")"
  cleanup; pids=(); dirs=()
done
