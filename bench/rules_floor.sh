#!/usr/bin/env bash
# Rule evaluation per event: Docket (release) next to the bare C lua_pcall floor.
# Usage: bench/rules_floor.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
gcc -O2 -o /tmp/docket_rules_floor bench/rules_floor.c $(pkg-config --cflags --libs lua5.4)
/tmp/docket_rules_floor "$PWD" "$n"
swift build -c release --product docket >/dev/null 2>&1
.build/release/docket pack bench IndustryPacks/luxfree-solar --iterations "$n"
