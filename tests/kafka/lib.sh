# Shared by the tests/kafka/*.sh tests (sourced, not run). Usage in a test: `. "$(dirname "$0")/lib.sh"`
# with the pravah binary as $1. Every test gets its own scratch directory and its own broker on
# loopback (the mock picks free random ports), so tests can run in parallel; the EXIT trap stops
# whatever the test started, by pid.

set -u
PRAVAH=${1:?usage: $0 PATH-TO-pravah}
case $PRAVAH in /*) ;; *) PRAVAH=$(pwd)/$PRAVAH ;; esac
TEST=$(basename "$0" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pravah-kafka-$TEST.XXXXXX")
BROKER_PID=
PIDS=

cleanup() {
    for pid in $BROKER_PID $PIDS; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in $BROKER_PID $PIDS; do
        # Give a broker a moment to stop cleanly, then insist.
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null
    done
    if [ -n "${KEEP_WORK:-}" ]; then echo "scratch kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL [$TEST]: $*" >&2
    if [ -f "$WORK/broker.err" ]; then
        echo "--- broker log (last 20 lines)" >&2
        tail -n 20 "$WORK/broker.err" >&2
    fi
    exit 1
}

ok() {
    echo "ok - $*"
}

# kcat is the independent Kafka client the tests check with (scripts/deps installs it).
# The tests' Python modules (msgpack, yaml, psycopg2) come from Debian packages (scripts/deps), so
# use Debian's interpreter even when another python3 (pyenv, a venv) comes first on PATH.
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi

# free_port: a loopback TCP port nobody listens on, chosen below the kernel's ephemeral range
# (32768-60999), so that an outgoing connection (Kafka clients open many) cannot take it between
# this check and the worker's bind, as a port handed out by bind(0) could be.
free_port() {
    python3 -c '
import random, socket
for _ in range(200):
    p = random.randint(10000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
'
}

need_kcat() {
    command -v kcat >/dev/null 2>&1 || { echo "SKIP: kcat is not installed"; exit 77; }
}

# Waits up to $2 seconds (default 10) for file $1 to be non-empty.
wait_file() {
    n=$(( ${2:-10} * 10 ))
    while [ "$n" -gt 0 ]; do
        [ -s "$1" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# Waits up to $3 seconds for a line matching grep pattern $1 in file $2.
wait_line() {
    n=$(( ${3:-10} * 10 ))
    while [ "$n" -gt 0 ]; do
        grep -q -- "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# start_broker [ARGS...]: `pravah broker` in the background inside $WORK, address in $ADDR.
# Default address file: $WORK/broker.addr (tests of the default path pass their own arguments).
start_broker() {
    (cd "$WORK" && exec "$PRAVAH" broker --addr-file "$WORK/broker.addr" "$@" \
        >"$WORK/broker.out" 2>"$WORK/broker.err") &
    BROKER_PID=$!
    wait_file "$WORK/broker.addr" 15 || fail "broker did not write $WORK/broker.addr"
    ADDR=$(cat "$WORK/broker.addr")
}

# stop_broker [SIGNAL]: stops the broker and checks it exits 0 and removes its address file.
stop_broker() {
    kill -"${1:-TERM}" "$BROKER_PID" || fail "broker is not running"
    wait "$BROKER_PID"
    status=$?
    BROKER_PID=
    [ "$status" -eq 0 ] || fail "broker exited with $status after SIG${1:-TERM}"
    [ ! -e "$WORK/broker.addr" ] || fail "broker left its address file behind"
}

# consume TOPIC FORMAT: every message of TOPIC from the beginning, formatted by kcat -f.
consume() {
    kcat -b "$ADDR" -C -t "$1" -o beginning -e -q -f "$2"
}
