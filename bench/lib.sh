# Shared by the bench scripts: a release server on a data directory, started and stopped by PID.
export DOCKET_JWT_SECRET=${DOCKET_JWT_SECRET:-bench-secret-bench-secret-bench-secret}
# DOCKET_BIN=path serves with that build of docket instead of .build/release/docket (to compare two builds).
DOCKET_BIN=${DOCKET_BIN:-}
build_release() {
  [ -n "$DOCKET_BIN" ] || swift build -c release --product docket >/dev/null
  swift build -c release --product docket-load >/dev/null
}
port_free() { # port: fails when something already answers there (a server left from a run)
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || { echo "port $1 is taken: stop what listens there first" >&2; return 1; }
}
start_server() { # data-dir port [extra serve args...]
  local data=$1 port=$2; shift 2
  port_free "$port"
  "${DOCKET_BIN:-.build/release/docket}" serve --port "$port" --data-dir "$data" --log-level warning "$@" &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -sf "localhost:$port/health" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not start" >&2; return 1
}
stop_server() {
  [ -n "${SERVER_PID:-}" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
socketio_client() { # the reference Socket.IO client (python-socketio, from PyPI) in .venv-integrations
  if [ ! -x .venv-integrations/bin/python ] || ! .venv-integrations/bin/python -c 'import aiohttp, socketio' 2>/dev/null; then
    python3 -m venv .venv-integrations
    .venv-integrations/bin/pip install -q 'python-socketio[client]==5.18.1' 'pytest==9.2.0' 'aiohttp==3.*'
  fi
}
