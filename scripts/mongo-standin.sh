#!/usr/bin/env bash
# The MongoDB stand-in for tests (SecantusDB from PyPI; see ../shared/mongo/README.md).
#   scripts/mongo-standin.sh start   installs it in .venv-mongo if needed, starts it on
#                                    127.0.0.1:$DOCKET_STANDIN_PORT (default 27130) with its
#                                    own storage, waits for the port, writes .mongo-standin.pid
#   scripts/mongo-standin.sh stop    stops it by that PID
set -euo pipefail
cd "$(dirname "$0")/.."
port=${DOCKET_STANDIN_PORT:-27130}
pidfile=.mongo-standin.pid
case "${1:-}" in
  start)
    if [ ! -x .venv-mongo/bin/secantusd-py ]; then
      python3 -m venv .venv-mongo
      .venv-mongo/bin/pip install -q 'SecantusDB==0.7.0b3'
    fi
    storage=$(mktemp -d -t docket-standin-XXXXXX)
    .venv-mongo/bin/secantusd-py --host 127.0.0.1 --port "$port" --storage-path "$storage" --sync-on-commit \
      >"$storage/server.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "mongo stand-in listening on 127.0.0.1:$port (pid $(cat "$pidfile"), storage $storage)"
        exit 0
      fi
      sleep 0.1
    done
    echo "the mongo stand-in did not start; log:" >&2
    cat "$storage/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
