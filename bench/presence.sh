#!/usr/bin/env bash
# Presence-aware routing on a release server (embedded store, the restaurant pack's food-safety
# routing: assign least_loaded in the manager queue), with the reference Socket.IO client:
# how soon waiting reports reach an agent who comes online, and that none goes to an agent who
# said they are away (see bench/presence_bench.py).
# Usage: bench/presence.sh [rounds] [seconds]   (default: 20 20)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
seconds=${2:-20}
swift build -c release --product docket >/dev/null
source bench/lib.sh
socketio_client
data=$(mktemp -d); port=18184
export DOCKET_JWT_SECRET=bench-secret-bench-secret-bench-secret
docket=.build/release/docket
$docket tenant create --id bistro --pack restaurant --data-dir "$data" >/dev/null
$docket serve --port $port --data-dir "$data" --log-level warning &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf localhost:$port/health >/dev/null && break; sleep 0.1; done
token() { $docket token --tenant bistro --role "$1" --subject "$2" --data-dir "$data" --ttl 1d; }
admin=$(token admin bench-admin)
agents="{"
for i in $(seq -w 1 "$rounds"); do
  curl -sf -X POST "localhost:$port/api/v2/agents" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"id\":\"m$i\",\"name\":\"Manager $i\",\"skills\":[\"manager\"],\"capacity\":1000}" >/dev/null
  agents+="\"m$i\":\"$(token agent "m$i")\","
done
agents="${agents%,}}"
.venv-integrations/bin/python bench/presence_bench.py "http://127.0.0.1:$port" bistro "$admin" "$(token customer guest)" "$agents" \
  --rounds "$rounds" --seconds "$seconds"
