#!/usr/bin/env bash
# Rule evaluation per event: Docket (release) next to the bare C lua_pcall floor, both calling
# LUXFREE's on_ticket_created back to back on one thread at the same moment (office open).
# The two alternate three times and the best of each is kept: this machine's neighbours add
# noise of ±30% to any single run.
# Usage: bench/rules_floor.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
gcc -O2 -o /tmp/docket_rules_floor bench/rules_floor.c $(pkg-config --cflags --libs lua5.4)
swift build -c release --product docket-load >/dev/null 2>&1
best_floor=; best_docket=; best_request=
for _ in 1 2 3; do
  floor=$(/tmp/docket_rules_floor "$PWD" "$n" | tee /dev/stderr | sed -E 's/.*: ([0-9.]+) us per call.*/\1/')
  line=$(.build/release/docket-load rules IndustryPacks/luxfree-solar --iterations "$n" | tee /dev/stderr)
  docket=$(sed -E "s/.*evaluations: ([0-9.]+) µs per event on a worker.*/\1/" <<<"$line")
  request=$(sed -E "s/.*, ([0-9.]+) µs through evaluate on a request thread.*/\1/" <<<"$line")
  best_floor=$(python3 -c "print(min(x for x in [$floor, ${best_floor:-1e9}]))")
  best_docket=$(python3 -c "print(min(x for x in [$docket, ${best_docket:-1e9}]))")
  best_request=$(python3 -c "print(min(x for x in [$request, ${best_request:-1e9}]))")
done
python3 -c "print(f'best of 3: Docket {$best_docket:.2f} µs per event on a worker ({$best_docket / $best_floor:.2f}× the floor), {$best_request:.2f} µs end to end through evaluate on a request thread ({$best_request / $best_floor:.2f}× the floor); C floor {$best_floor:.2f} µs')"
