#!/usr/bin/env bash
# One command from a fresh clone: install what is missing and run the whole test suite.
# Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
log=$(mktemp)
set +e
swift test --disable-xctest "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "swift test failed with status $status" >&2
  exit "$status"
fi
count=$(grep -Eo 'Test run with [0-9]+ tests?' "$log" | grep -Eo '[0-9]+' | tail -n 1)
if [ -z "$count" ] || [ "$count" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
echo "$count tests passed"
