#!/usr/bin/env bash
# One command from a fresh clone: install what is missing, build, and serve on the
# embedded SQLite store with the shipped packs. Extra arguments go to `docket serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build -c release --product docket
exec .build/release/docket serve "$@"
