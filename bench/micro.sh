#!/usr/bin/env bash
# Micro benchmarks: JSON and SQLite (docket-load micro), rule evaluation per event for every
# shipped pack (docket-load rules), and the bare C lua_pcall floor (bench/rules_floor.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
build_release
mkdir -p bench/results
.build/release/docket-load micro --json bench/results/micro.json
for pack in IndustryPacks/*/; do
  echo "== rules: $(basename "$pack")"
  .build/release/docket-load rules "$pack" | tail -3
done
echo "== C floor (luxfree on_ticket_created through lua_pcall)"
bash bench/rules_floor.sh 200000 | tail -3
