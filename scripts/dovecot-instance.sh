#!/usr/bin/env bash
# A private Dovecot IMAP server for the tests: its own configuration, mail, state and log in
# DIR, listening on 127.0.0.1 only (plain IMAP: the connection never leaves the machine). It
# never touches /etc/dovecot or port 143. Needs root (Dovecot's master drops to its own users)
# and Debian's dovecot-imapd (scripts/setup.sh --mail installs it).
#
#   scripts/dovecot-instance.sh start DIR USER:PASSWORD...   prints the IMAP port it listens on
#   scripts/dovecot-instance.sh start DIR --tls CERT KEY USER:PASSWORD...
#       also offers STARTTLS on that port and listens for IMAP over TLS (imaps) on a second one,
#       with the certificate CERT and its key KEY (PEM); prints both ports: "IMAP IMAPS"
#   scripts/dovecot-instance.sh stop DIR                     stops it (by the master's PID) and waits
#
# Each user has a mailbox (Maildir) under DIR/mail; IDLE is offered, as by any Dovecot.
set -euo pipefail
command=${1:?usage: dovecot-instance.sh start|stop DIR [USER:PASSWORD...]}
dir=${2:?usage: dovecot-instance.sh start|stop DIR [USER:PASSWORD...]}
shift 2
[ -x /usr/sbin/dovecot ] || { echo "dovecot is not installed: scripts/setup.sh --mail installs it" >&2; exit 1; }

case "$command" in
  start)
    cert="" key=""
    if [ "${1:-}" = "--tls" ]; then
      cert=$(realpath "${2:?--tls CERT KEY}") key=$(realpath "${3:?--tls CERT KEY}")
      shift 3
    fi
    [ "$#" -gt 0 ] || { echo "name at least one user: USER:PASSWORD" >&2; exit 1; }
    mkdir -p "$dir/run" "$dir/state" "$dir/mail"
    dir=$(cd "$dir" && pwd)
    free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    port=$(free_port)
    tls_port=0 ssl_settings="ssl = no"
    if [ -n "$cert" ]; then
      tls_port=$(free_port)
      ssl_settings="ssl = yes
ssl_cert = <$cert
ssl_key = <$key"
    fi
    : >"$dir/users"
    for user in "$@"; do
      echo "${user%%:*}:{PLAIN}${user#*:}::::::" >>"$dir/users"
    done
    chown -R dovecot:dovecot "$dir/mail"
    chmod 0644 "$dir/users"
    cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
$ssl_settings
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/mail/%u
mail_uid = dovecot
mail_gid = dovecot
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dir/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
service stats {
  inet_listener http {
    port = 0
  }
}
EOF
    # Its daemons must not hold the caller's output open (a caller reading it to the end would
    # wait forever), nor inherit a caller's blocked signals (the test process starts children
    # with SIGTERM blocked: such a Dovecot would ignore its stop).
    python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])' \
      /usr/sbin/dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1
    for _ in $(seq 1 100); do
      if python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$port),1); sys.exit(0 if s.recv(100).startswith(b'* OK') else 1)" 2>/dev/null; then
        if [ "$tls_port" != 0 ]; then echo "$port $tls_port"; else echo "$port"; fi
        exit 0
      fi
      sleep 0.1
    done
    echo "dovecot did not answer on $port; its log:" >&2; tail -20 "$dir/dovecot.log" >&2 || true; exit 1
    ;;
  stop)
    dir=$(cd "$dir" && pwd)
    pid=$(cat "$dir/run/master.pid" 2>/dev/null || true)
    [ -n "$pid" ] || exit 0
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  *) echo "unknown command '$command': start or stop" >&2; exit 1 ;;
esac
