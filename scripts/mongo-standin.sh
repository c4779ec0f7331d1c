#!/usr/bin/env bash
# The MongoDB stand-in for tests (SecantusDB from PyPI; see ../shared/mongo/README.md).
#   scripts/mongo-standin.sh start   installs it in .venv-mongo if needed, starts it on
#                                    127.0.0.1:$DOCKET_STANDIN_PORT, or on a free port the
#                                    kernel gives when that is unset or 0, with its own storage;
#                                    waits until it listens; writes .mongo-standin.pid and the
#                                    port to .mongo-standin.port
#   scripts/mongo-standin.sh stop    stops it by that PID
set -euo pipefail
cd "$(dirname "$0")/.."
port=${DOCKET_STANDIN_PORT:-0}
pidfile=.mongo-standin.pid
portfile=.mongo-standin.port
# listening PORT: whether something accepts connections there.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
case "${1:-}" in
  start)
    if [ ! -x .venv-mongo/bin/secantusd-py ]; then
      python3 -m venv .venv-mongo
      .venv-mongo/bin/pip install -q 'SecantusDB==0.7.0b3'
    fi
    if [ "$port" = "0" ]; then
      port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    # A listener already there is someone else's: the stand-in must be the one answering.
    if listening "$port"; then
      echo "127.0.0.1:$port is taken by another process: not starting the stand-in there" >&2
      exit 1
    fi
    storage=$(mktemp -d -t docket-standin-XXXXXX)
    .venv-mongo/bin/secantusd-py --host 127.0.0.1 --port "$port" --storage-path "$storage" --sync-on-commit \
      >"$storage/server.log" 2>&1 &
    pid=$!
    echo $pid >"$pidfile"
    echo "$port" >"$portfile"
    for _ in $(seq 300); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if listening "$port"; then
        echo "mongo stand-in listening on 127.0.0.1:$port (pid $pid, storage $storage)"
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
      rm -f "$pidfile" "$portfile"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
