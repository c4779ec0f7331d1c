#!/usr/bin/env bash
# A private Postfix instance for the tests and the mail benchmark: its own configuration, queue
# and log in DIR, listening for SMTP on 127.0.0.1 only, relaying each named domain to a route.
# It never touches /etc/postfix, the system's queue or port 25. Needs root (Postfix's master
# drops to the postfix user) and Debian's postfix package (scripts/setup.sh --mail installs it).
#
#   scripts/postfix-instance.sh start DIR ROUTE...   prints the SMTP port it listens on
#     ROUTE: domain=lmtp:PORT (Docket's mail receiver) or domain=smtp:PORT (a relay or a sink)
#   scripts/postfix-instance.sh stop DIR              stops it (by the master's PID) and waits
#   scripts/postfix-instance.sh flush DIR             tries the deferred mail again now
#   scripts/postfix-instance.sh queue DIR             how many mails wait in its queue
#
# Deferred mail is retried within seconds (a receiver that was down is tried again at once when
# it is back), and nothing slows the SMTP side down when the queue grows (in_flow_delay = 0).
set -euo pipefail
command=${1:?usage: postfix-instance.sh start|stop|flush|queue DIR [ROUTE...]}
dir=${2:?usage: postfix-instance.sh start|stop|flush|queue DIR [ROUTE...]}
shift 2
[ -x /usr/sbin/postfix ] || { echo "postfix is not installed: scripts/setup.sh --mail installs it" >&2; exit 1; }

case "$command" in
  start)
    [ "$#" -gt 0 ] || { echo "name at least one route: domain=lmtp:PORT or domain=smtp:PORT" >&2; exit 1; }
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
    dir=$(cd "$dir" && pwd)
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    domains=(); transports=()
    for route in "$@"; do
      domain=${route%%=*}; target=${route#*=}; kind=${target%%:*}; to=${target#*:}
      case "$kind" in
        lmtp) transports+=("$domain=lmtp:inet:127.0.0.1:$to") ;;
        smtp) transports+=("$domain=smtp:[127.0.0.1]:$to") ;;
        *) echo "route '$route': lmtp:PORT or smtp:PORT" >&2; exit 1 ;;
      esac
      domains+=("$domain")
    done
    cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.docket.test
mydomain = docket.test
myorigin = docket.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
relay_domains = ${domains[*]}
transport_maps = inline:{ $(IFS=,; echo "${transports[*]}") }
smtputf8_enable = no
biff = no
in_flow_delay = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
default_destination_rate_delay = 0
lmtp_destination_concurrency_limit = 8
smtp_tls_security_level = none
smtpd_tls_security_level = none
EOF
    cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
    chown postfix:postfix "$dir/data"
    # Postfix's own check creates the queue's folders with their owners.
    /usr/sbin/postfix -c "$dir/etc" check >/dev/null 2>&1 || true
    if ! /usr/sbin/postfix -c "$dir/etc" start >/dev/null 2>&1; then
      echo "postfix did not start; its log:" >&2; tail -20 "$dir/maillog" >&2 2>/dev/null || true; exit 1
    fi
    for _ in $(seq 200); do
      if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then echo "$port"; exit 0; fi
      sleep 0.05
    done
    echo "postfix did not listen on 127.0.0.1:$port within 10 s; its log:" >&2; tail -20 "$dir/maillog" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    pidfile="$dir/queue/pid/master.pid"
    [ -f "$pidfile" ] || exit 0
    pid=$(tr -d ' \n' <"$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  flush)
    /usr/sbin/postqueue -c "$dir/etc" -f
    ;;
  queue)
    find "$dir/queue/incoming" "$dir/queue/active" "$dir/queue/deferred" "$dir/queue/maildrop" -type f 2>/dev/null | wc -l
    ;;
  *)
    echo "usage: postfix-instance.sh start|stop|flush|queue DIR [ROUTE...]" >&2; exit 1 ;;
esac
