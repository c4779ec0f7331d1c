#!/usr/bin/env bash
# The dashboard's API answers on a seeded store: every report the console asks for over a year,
# a quarter, a month and a day, grouped and filtered, RUNS times each; p50, p95 and max per
# question and over all of them. Then the Reports screen's first paint in Chromium, signed in.
# Usage: bench/reports.sh DATA_DIR [runs]
#   DATA_DIR: a data directory filled by `docket-load seed --data-dir DATA_DIR --tickets 1000000`
#   (its tenant `default` made first by `docket tenant create --id default --data-dir DATA_DIR`).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: bench/reports.sh DATA_DIR [runs]}; runs=${2:-20}; port=18191
source bench/lib.sh
[ -n "$DOCKET_BIN" ] || swift build -c release --product docket >/dev/null
bin=${DOCKET_BIN:-.build/release/docket}
start_server "$data" $port --bcrypt-cost 4
trap 'stop_server' EXIT
admin=$("$bin" token --tenant default --role admin --subject bench-admin --data-dir "$data" --ttl 1d)
python3 bench/reports_bench.py "http://127.0.0.1:$port" "$admin" "$runs"
# The first paint: a console user, a real browser, the volume of the last 12 months by channel.
printf '%s\n' 'bench password long' | "$bin" user create --tenant default --email bench@reports.test --name Bench --role admin \
  --agent-id bench-admin --bcrypt-cost 4 --data-dir "$data" >/dev/null 2>&1 || true
if [ -x .venv-browser/bin/python ]; then
  .venv-browser/bin/python bench/reports_paint.py "http://127.0.0.1:$port" bench@reports.test 'bench password long' 5
else
  echo "first paint: skipped (no .venv-browser: run scripts/setup.sh --browser)"
fi
