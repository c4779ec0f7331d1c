#!/usr/bin/env bash
# Create throughput over loopback with wrk: a release server on a fresh data dir,
# one customer token, N keep-alive connections for D seconds each.
# Usage: bench/create.sh [duration-seconds] [connections...]   (default: 10 1 8 32)
# DOCKET_BIN=path runs that build instead of building .build/release/docket (to compare two builds).
# DOCKET_MONGO_URI=uri serves from MongoDB instead of the embedded store; DOCKET_STORE_PID=pid
# (the database server's process) adds its CPU per create beside Docket's own.
# DOCKET_BENCH_ROLLOUT=shadow|canary runs it during a staged rollout of a copy of the tenant's
# active version (the same rules under another name): what evaluating a candidate beside every
# change costs.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
bin=${DOCKET_BIN:-.build/release/docket}
[ -n "${DOCKET_BIN:-}" ] || swift build -c release --product docket >/dev/null
duration=${1:-10}; shift || true
connections=("${@:-1 8 32}"); [ "$#" -eq 0 ] && connections=(1 8 32)
data=$(mktemp -d); port=18181
source bench/lib.sh
port_free $port
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
"$bin" serve --port $port --data-dir "$data" --log-level warning &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
export DOCKET_TOKEN=$("$bin" token --tenant default --role customer --subject bench-customer --data-dir "$data" --ttl 1d)
if [ -n "${DOCKET_BENCH_ROLLOUT:-}" ]; then
  admin=$("$bin" token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
  python3 bench/rollout.py "http://127.0.0.1:$port" "$admin" "$DOCKET_BENCH_ROLLOUT"
fi
# The server's CPU time (user + system ticks of /proc/<pid>/stat) and the bytes it caused to be
# written (write_bytes of /proc/<pid>/io: the WAL, checkpoints) over each run, per create.
ticks() { awk '{print $14+$15}' /proc/${1:-$pid}/stat; }
written() { awk '/^write_bytes/{print $2}' /proc/$pid/io; }
# Context switches of all the server's threads (voluntary and not): each is a hand-off between threads.
switches() { cat /proc/$pid/task/*/status 2>/dev/null | awk '/ctxt_switches/{s+=$2} END{print s}'; }
hz=$(getconf CLK_TCK)
# What the server (and the database server) spend with no request at all — timers, the SLA
# scheduler, polling — over 5 s, so a create's own CPU can be told from the background's: on a
# slow store few creates share that background, and it would otherwise be counted to them.
t0=$(ticks); [ -z "${DOCKET_STORE_PID:-}" ] || d0=$(ticks "$DOCKET_STORE_PID")
sleep 5
idle=$(( ($(ticks) - t0) * 1000000 / hz / 5 )); [ -z "${DOCKET_STORE_PID:-}" ] || store_idle=$(( ($(ticks "$DOCKET_STORE_PID") - d0) * 1000000 / hz / 5 ))
echo "idle: the server spends $idle µs of CPU per second${store_idle:+, the database server $store_idle µs}"
for c in "${connections[@]}"; do
  threads=$(( c < 2 ? c : 2 ))
  echo "== create, $c connection(s), ${duration}s"
  t0=$(ticks); w0=$(written); s0=$(switches); [ -z "${DOCKET_STORE_PID:-}" ] || d0=$(ticks "$DOCKET_STORE_PID")
  wrk -t$threads -c$c -d${duration}s --latency -s bench/create.lua http://127.0.0.1:$port > "$data/wrk.out"
  t1=$(ticks); w1=$(written); s1=$(switches); [ -z "${DOCKET_STORE_PID:-}" ] || d1=$(ticks "$DOCKET_STORE_PID")
  grep -E "Requests/sec|Latency |50%|90%|99%|Non-2xx|requests in|Socket errors" "$data/wrk.out"
  n=$(awk '/requests in/{print $1}' "$data/wrk.out")
  echo "   per create: $(( (t1 - t0) * 1000000 / hz / n )) µs of server CPU ($(( ((t1 - t0) * 1000000 / hz - idle * duration) / n )) µs less the idle background), $(( (w1 - w0) / n / 1024 )) KiB written, $(python3 -c "print(f'{($s1 - $s0) / $n:.1f}')") context switches"
  [ -z "${DOCKET_STORE_PID:-}" ] || echo "   the database server's CPU per create: $(( (d1 - d0) * 1000000 / hz / n )) µs ($(( ((d1 - d0) * 1000000 / hz - store_idle * duration) / n )) µs less its idle background)"
done
if [ -n "${DOCKET_BENCH_ROLLOUT:-}" ]; then
  curl -sf "localhost:$port/api/v2/tenants/default/pack/rollout" -H "Authorization: Bearer $admin" | python3 bench/rollout.py --report
fi
echo "server CPU (user+sys ticks): $(awk '{print $14+$15}' /proc/$pid/stat), RSS: $(grep VmRSS /proc/$pid/status | awk '{print $2" "$3}')"
