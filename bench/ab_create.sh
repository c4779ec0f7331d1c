#!/usr/bin/env bash
# Two builds of docket under the same create load at the same time: each its own server and data
# directory, each driven by its own wrk with N connections, for D seconds, R rounds. Both see
# the same minutes of this machine (whose speed moves by a third between hours), so the ratio of
# their server CPU per create says what one build costs over the other better than runs one
# after the other. The two share the machine's two cores: absolute figures are not comparable
# with bench/create.sh's, the ratio is.
# Usage: bench/ab_create.sh BUILD_A BUILD_B [duration-seconds] [connections-each] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
a=$1; b=$2; duration=${3:-20}; connections=${4:-16}; rounds=${5:-3}
source bench/lib.sh
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
hz=$(getconf CLK_TCK)
pids=(); dirs=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "${dirs[@]}"; }
trap cleanup EXIT
ticks() { awk '{print $14+$15}' /proc/$1/stat; }
for round in $(seq "$rounds"); do
  ports=(18281 18282); bins=("$a" "$b"); tokens=(); pids=(); dirs=()
  for i in 0 1; do
    data=$(mktemp -d); dirs+=("$data")
    port_free "${ports[$i]}"
    "${bins[$i]}" serve --port "${ports[$i]}" --data-dir "$data" --log-level warning & pids+=($!)
  done
  for i in 0 1; do
    for _ in $(seq 200); do curl -sf "localhost:${ports[$i]}/health" >/dev/null && break; sleep 0.1; done
    tokens+=("$("${bins[$i]}" token --tenant default --role customer --subject bench-customer --data-dir "${dirs[$i]}" --ttl 1d)")
  done
  t0=($(ticks "${pids[0]}") $(ticks "${pids[1]}"))
  for i in 0 1; do
    DOCKET_TOKEN=${tokens[$i]} wrk -t1 -c"$connections" -d"${duration}s" -s bench/create.lua "http://127.0.0.1:${ports[$i]}" > "${dirs[$i]}/wrk.out" &
  done
  wait %3 %4 2>/dev/null || wait
  t1=($(ticks "${pids[0]}") $(ticks "${pids[1]}"))
  line="round $round:"
  per=()
  for i in 0 1; do
    n=$(awk '/requests in/{print $1}' "${dirs[$i]}/wrk.out")
    per+=($(( (t1[$i] - t0[$i]) * 1000000 / hz / n )))
    line+=" $([ $i = 0 ] && echo A || echo B) $n creates, ${per[$i]} µs CPU each;"
  done
  echo "$line B/A = $(python3 -c "print(f'{${per[1]}/${per[0]}:.3f}')")"
  cleanup; pids=(); dirs=()
done
