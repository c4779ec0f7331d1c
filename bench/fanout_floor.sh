#!/usr/bin/env bash
# The kernel's floor for fan-out on this machine (bench/fanout_floor.c): N loopback connections,
# one process writing a ~420-byte WebSocket frame to each from two threads (as NIO has one loop per core here), another reading them all with epoll.
# Usage: bench/fanout_floor.sh [subscribers...]   (default: 5000 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -pthread -o "$out/fanout_floor" bench/fanout_floor.c
counts=("${@:-5000 10000}"); [ "$#" -eq 0 ] && counts=(5000 10000)
for n in "${counts[@]}"; do
  echo "== the floor of a fan-out to $n"
  "$out/fanout_floor" "$n" 20
done
