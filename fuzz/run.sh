#!/usr/bin/env bash
# Fuzzes the API with Schemathesis (PyPI) as an admin, an agent and a customer, each on a fresh
# server with the shipped packs: every check, the stateful phase on, a bounded number of
# examples, a fixed seed. Fails on any failure. Usage: bash fuzz/run.sh [examples-per-operation]
# (default 20). The server is a release build, or the binary DOCKET_BIN names (the test script
# passes its debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-20}
if [ ! -x .venv-fuzz/bin/st ]; then
  python3 -m venv .venv-fuzz
  .venv-fuzz/bin/pip install -q 'schemathesis==4.32.5'
fi
if [ -z "${DOCKET_BIN:-}" ]; then
  swift build -c release --product docket >/dev/null
  DOCKET_BIN=$PWD/.build/release/docket
fi
export DOCKET_JWT_SECRET=fuzz-secret-fuzz-secret-fuzz-secret-fuzz
status=0
for role in admin agent customer; do
  # On a port the kernel chooses: the server writes it to its port file once it listens.
  data=$(mktemp -d); port=
  "$DOCKET_BIN" serve --port 0 --port-file "$data/port" --data-dir "$data" --log-level warning >"$data/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    if [ -z "$port" ] && [ -s "$data/port" ]; then port=$(cat "$data/port"); fi
    [ -n "$port" ] && curl -sf "localhost:$port/health" >/dev/null && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "docket serve did not start as $role:" >&2; cat "$data/server.log" >&2; exit 1; }
  admin=$("$DOCKET_BIN" token --tenant default --role admin --subject boss --data-dir "$data")
  # The agent and the customer the tokens name exist, as they would for real users.
  curl -sf -X POST "localhost:$port/api/v2/agents" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"id":"ana","name":"Ana López","email":"ana@example.com"}' >/dev/null
  curl -sf -X POST "localhost:$port/api/v2/customers" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"id":"cust1","phoneNumber":"+525512345678","firstName":"Luz"}' >/dev/null
  case $role in
    admin) token=$admin ;;
    agent) token=$("$DOCKET_BIN" token --tenant default --role agent --subject ana --data-dir "$data") ;;
    customer) token=$("$DOCKET_BIN" token --tenant default --role customer --subject cust1 --data-dir "$data") ;;
  esac
  echo "== $role"
  if ! .venv-fuzz/bin/st --config-file fuzz/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
      -H "Authorization: Bearer $token" --checks all -n "$examples" --seed 20261130 --output-truncate false \
      --report-json-path "fuzz/report-$role.json" >"fuzz/out-$role.txt" 2>&1; then
    status=1
  fi
  # What it did and what it found; the whole report is in fuzz/out-$role.txt.
  grep -E "generated, |  ❌ ST|API Links" "fuzz/out-$role.txt" || true
  grep -q "generated, " "fuzz/out-$role.txt" || { echo "schemathesis ran nothing as $role" >&2; status=1; }
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$data"
done
exit $status
