#!/usr/bin/env bash
# One command from a fresh clone: install what is missing and run the whole test suite.
# Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
# Under CI every suite runs, on every store: the switches that leave parts out locally are refused.
if [ "${CI:-}" = "true" ]; then
  if [ "$#" -ne 0 ]; then echo "CI runs the whole suite: no arguments" >&2; exit 2; fi
  for switch in DOCKET_BROWSER_TESTS DOCKET_INTEGRATION_TESTS DOCKET_README_EXAMPLES DOCKET_FUZZ DOCKET_TEST_STORES; do
    if [ -n "${!switch:-}" ] && [ "${!switch}" != "1" ]; then
      echo "$switch=${!switch} would leave part of the suite out; CI runs all of it" >&2
      exit 2
    fi
  done
fi
# floor NAME COUNT: with the whole suite asked for, COUNT must reach NAME's floor in Tests/floors.
floor() {
  [ "$#" -eq 2 ] || return 0
  local least
  least=$(awk -v name="$1" '$1 == name { print $2 }' Tests/floors)
  if [ -z "$least" ]; then echo "Tests/floors has no floor for $1" >&2; exit 1; fi
  if [ "$2" -lt "$least" ]; then
    echo "$1: $2 ran, fewer than the floor of $least in Tests/floors: part of the suite was skipped, emptied or cut short" >&2
    exit 1
  fi
}
whole=$#
./scripts/setup.sh --browser --mail
# The Mongo run of the store contract suite needs the stand-in: start one unless the
# caller (.ci/run) already did and said where.
if [ -z "${DOCKET_TEST_MONGO_URI:-}" ]; then
  ./scripts/mongo-standin.sh start
  trap './scripts/mongo-standin.sh stop' EXIT
  export DOCKET_TEST_MONGO_URI="mongodb://127.0.0.1:$(cat .mongo-standin.port)/?directConnection=true"
fi
export DOCKET_TEST_MONGO_BIN=${DOCKET_TEST_MONGO_BIN:-$PWD/.venv-mongo/bin/secantusd-py}
# Mail out is tested against a real SMTP server: aiosmtpd (STARTTLS, AUTH, refusals), from PyPI.
if ! .venv-mail/bin/python -c 'import aiosmtpd, dkim' 2>/dev/null; then
  python3 -m venv .venv-mail
  .venv-mail/bin/pip install -q 'aiosmtpd==1.4.6' 'dkimpy==1.1.8'
fi
export DOCKET_TEST_MAIL_PYTHON=$PWD/.venv-mail/bin/python
# Every process linking libmongoc makes shared-memory counters at load (/dev/shm/mcounters-PID).
# The tests kill servers with -9, which leaves theirs behind; a later process given the same PID
# then prints "Falling back to malloc for counters" into output a test reads. The counters are
# diagnostics only: off for the whole run.
export MONGOC_DISABLE_SHM=1
# At most this many tests run at once (Swift Testing's own limit). Unbounded, all ~600 cases
# start in the first second on two cores: trivial ones took 80 s to finish and tests that wait
# for a live server's answer ran out of patience (the last CI failures). Six keeps the suite's
# time (754 s here, against ~800 s unbounded in CI) and gives each running test its share.
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=${SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH:-6}
log=$(mktemp)
# run WHAT COMMAND...: runs it with its output in $log too; stops the script if it failed.
run() {
  local what=$1
  shift
  set +e
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    echo "$what failed with status $status" >&2
    exit "$status"
  fi
}
run "swift test" swift test --disable-xctest "$@"
count=$(grep -Eo 'Test run with [0-9]+ tests?' "$log" | grep -Eo '[0-9]+' | tail -n 1)
if [ -z "$count" ] || [ "$count" -eq 0 ]; then
  echo "no test ran" >&2
  exit 1
fi
skipped=$(grep -cE '^[^ ]+ Test .* skipped' "$log" || true)
if [ "$skipped" -gt 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "$skipped Swift tests were skipped; CI runs all of them:" >&2
    grep -E '^[^ ]+ Test .* skipped' "$log" >&2
    exit 1
  fi
  echo "note: $skipped Swift tests skipped (DOCKET_TEST_STORES)" >&2
fi
[ "$whole" -eq 0 ] && floor swift-tests "$count"
# The console in a real browser: Debian's Chromium driven by Selenium (from PyPI, in
# .venv-browser) against the real `docket serve`. Run with the whole suite; with arguments
# (e.g. --filter) only when DOCKET_BROWSER_TESTS=1.
browser=0
if [ "${DOCKET_BROWSER_TESTS:-}" = "1" ] || { [ "$#" -eq 0 ] && [ "${DOCKET_BROWSER_TESTS:-}" != "0" ]; }; then
  if [ ! -x .venv-browser/bin/pytest ]; then
    python3 -m venv .venv-browser
    .venv-browser/bin/pip install -q 'selenium==4.51.0' 'pytest==9.2.0'
  fi
  swift build --product docket
  DOCKET_BIN="$PWD/.build/debug/docket" run "browser tests" .venv-browser/bin/pytest -q -s -p no:cacheprovider Tests/Browser
  browser=$(grep -Eo '[0-9]+ passed' "$log" | grep -Eo '[0-9]+' | tail -n 1)
  if [ -z "$browser" ] || [ "$browser" -eq 0 ]; then
    echo "no browser test ran" >&2
    exit 1
  fi
  [ "$whole" -eq 0 ] && floor browser-tests "$browser"
fi
# The integrations against the real server: the 1-1 chat plan's Socket.IO clients (the
# reference client, python-socketio from PyPI) over WebSocket, long-polling and the upgrade, and
# webhooks into a real local receiver; pytest in .venv-integrations. Same rule as the browser tests.
integrations=0
if [ "${DOCKET_INTEGRATION_TESTS:-}" = "1" ] || { [ "$#" -eq 0 ] && [ "${DOCKET_INTEGRATION_TESTS:-}" != "0" ]; }; then
  if [ ! -x .venv-integrations/bin/pytest ]; then
    python3 -m venv .venv-integrations
    .venv-integrations/bin/pip install -q 'python-socketio[client]==5.18.1' 'pytest==9.2.0'
  fi
  swift build --product docket
  DOCKET_BIN="$PWD/.build/debug/docket" run "integration tests" .venv-integrations/bin/pytest -q -p no:cacheprovider Tests/Integrations
  integrations=$(grep -Eo '[0-9]+ passed' "$log" | grep -Eo '[0-9]+' | tail -n 1)
  if [ -z "$integrations" ] || [ "$integrations" -eq 0 ]; then
    echo "no integration test ran" >&2
    exit 1
  fi
  [ "$whole" -eq 0 ] && floor integration-tests "$integrations"
fi
# The README's examples (blocks marked <!-- example -->) against a real server, their documented
# answers checked. Same rule as the browser tests.
examples=no
if [ "${DOCKET_README_EXAMPLES:-}" = "1" ] || { [ "$#" -eq 0 ] && [ "${DOCKET_README_EXAMPLES:-}" != "0" ]; }; then
  swift build --product docket
  run "README examples" python3 scripts/readme_examples.py .build/debug/docket
  examples=$(grep -Eo '[0-9]+ README steps' "$log" | grep -Eo '[0-9]+' | tail -n 1)
  [ "$whole" -eq 0 ] && floor readme-steps "${examples:-0}"
fi
# The API against its own OpenAPI document: Schemathesis (PyPI, in .venv-fuzz) as an admin, an
# agent and a customer, every check on; any failure fails the run. Same rule as the browser.
fuzzed=no
if [ "${DOCKET_FUZZ:-}" = "1" ] || { [ "$#" -eq 0 ] && [ "${DOCKET_FUZZ:-}" != "0" ]; }; then
  swift build --product docket
  DOCKET_BIN="$PWD/.build/debug/docket" run "schemathesis" bash fuzz/run.sh
  fuzzed=$(grep -Eo '[0-9]+ generated' "$log" | awk '{ total += $1 } END { print total + 0 }')
  [ "$whole" -eq 0 ] && floor fuzz-cases "${fuzzed:-0}"
  fuzzed="$fuzzed cases"
fi
echo "$count tests passed ($browser browser tests, $integrations integration tests (Socket.IO, webhooks), $examples README steps besides; schemathesis: $fuzzed)"
