#!/usr/bin/env bash
# Docket's own CPU per ticket list on MongoDB, for builds side by side: each build serves a fresh
# database of the same MongoDB, TICKETS tickets are opened through the API, then one agent's list
# of LIMIT tickets is asked for with wrk (2 connections, D seconds); the server's CPU over the
# run, less its idle background (measured first, over 5 s), per list. The database's time is not
# Docket's and is not counted: on the slow stand-in this is the figure that compares builds.
# Builds alternate, ROUNDS rounds each.
# Usage: bench/mongo_list.sh MONGO_BASE_URI BUILD... (e.g. mongodb://127.0.0.1:27133 A B)
#   TICKETS=100 LIMIT=50 DURATION=10 ROUNDS=2
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
base=${1:?usage: bench/mongo_list.sh MONGO_BASE_URI BUILD...}; shift
[ "$#" -gt 0 ] || { echo "name at least one build" >&2; exit 2; }
tickets=${TICKETS:-100}; limit=${LIMIT:-50}; duration=${DURATION:-10}; rounds=${ROUNDS:-2}
source bench/lib.sh
port=18291
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
for round in $(seq "$rounds"); do
  for bin in "$@"; do
    data=$(mktemp -d)
    DOCKET_BIN=$bin DOCKET_MONGO_URI="$base/docket_list_${round}_$$_$RANDOM?directConnection=true" start_server "$data" $port
    customer=$("$bin" token --tenant default --role customer --subject list-customer --data-dir "$data" --ttl 1d)
    agent=$("$bin" token --tenant default --role admin --subject list-admin --data-dir "$data" --ttl 1d)
    for i in $(seq "$tickets"); do
      curl -sf -o /dev/null -X POST "localhost:$port/api/v2/tickets" -H "Authorization: Bearer $customer" -H 'Content-Type: application/json' \
        -d "{\"subject\":\"Corte de luz $i\",\"description\":\"Sin servicio en la calle $i desde anoche\"}"
    done
    t0=$(ticks "$SERVER_PID"); sleep 5; idle=$(( ($(ticks "$SERVER_PID") - t0) * 1000000 / hz / 5 ))
    url="http://127.0.0.1:$port/api/v2/tickets?limit=$limit"
    wrk -t1 -c2 -d2s -H "Authorization: Bearer $agent" "$url" >/dev/null
    t0=$(ticks "$SERVER_PID")
    wrk -t1 -c2 -d${duration}s -H "Authorization: Bearer $agent" "$url" > "$data/wrk.out"
    t1=$(ticks "$SERVER_PID")
    n=$(awk '/requests in/{print $1}' "$data/wrk.out")
    cpu=$(( ((t1 - t0) * 1000000 / hz - idle * duration) / n ))
    echo "round $round $bin: $n lists of $limit in ${duration}s, $cpu µs of Docket's CPU per list (idle background $idle µs/s)"
    stop_server
    rm -rf "$data"
  done
done
