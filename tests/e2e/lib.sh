# Shared by the end-to-end scripts (sourced). Needs $TAPLOOP, $TL_FIXTURES, $TL_TESTS and
# $TL_PYTHON from ctest (tests/CMakeLists.txt). Every script gets a private work directory and
# state directory, removed on exit, and never talks to anything but 127.0.0.1.
set -eu
: "${TAPLOOP:?set TAPLOOP to the taploop binary}"
: "${TL_FIXTURES:?set TL_FIXTURES to tests/fixtures}"
: "${TL_TESTS:?set TL_TESTS to the tests directory}"
TL_PYTHON=${TL_PYTHON:-python3}
WORK=$(mktemp -d)
FAKE_PID=""
SERVER_PIDS=""
cleanup() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    for p in $SERVER_PIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
export XDG_STATE_HOME="$WORK/state"
# TL_VALGRIND_LOGS=DIR (.ci/valgrind): every taploop process the script starts runs under
# valgrind's memcheck; a log file that is not empty afterwards is a memory error or a leak
# (TL_VG_LEAKS=definite,indirect for a process that leaves with _exit on purpose: its threads'
# storage is then "possibly lost"). The fakes' sim phones (taploop started by a Python fake) run without it: they are the sim
# commands the scripts check under valgrind themselves, and valgrind would make every fake
# device request seconds long.
TAPLOOP_BIN=$TAPLOOP # the binary itself, in the build directory
# TL_SLOW: how much slower than usual taploop runs; checks that race a timer on the device
# (a timed transition, a wait for a request) scale their times by it. 10 under valgrind.
TL_SLOW=1
if [ -n "${TL_VALGRIND_LOGS:-}" ]; then
    TL_SLOW=10
    cat >"$WORK/taploop" <<EOF
#!/bin/sh
case "\$(cat /proc/\$PPID/comm 2>/dev/null)" in
python*) exec "$TAPLOOP" "\$@" ;;
esac
LEAKS=\${TL_VG_LEAKS:-definite,indirect,possible}
exec valgrind -q --leak-check=full --show-leak-kinds=\$LEAKS \\
    --errors-for-leak-kinds=\$LEAKS --num-callers=30 \\
    --log-file="$TL_VALGRIND_LOGS/vg-%p.log" "$TAPLOOP" "\$@"
EOF
    chmod +x "$WORK/taploop"
    TAPLOOP="$WORK/taploop"
fi
unset TAPLOOP_DRIVER TAPLOOP_DEVICE TAPLOOP_SIM_FORMAT TAPLOOP_TAP_OFFSET TAPLOOP_MODEL \
    OPENAI_BASE_URL OPENAI_API_KEY 2>/dev/null || true
OUT="$WORK/out"
ERR="$WORK/err"

fail() {
    echo "FAIL: $*" >&2
    echo "--- stdout:" >&2
    cat "$OUT" >&2 2>/dev/null || true
    echo "--- stderr:" >&2
    cat "$ERR" >&2 2>/dev/null || true
    exit 1
}

# run WANTED_EXIT CMD...: run, keep stdout/stderr, check the exit code
run() {
    want=$1
    shift
    set +e
    "$@" >"$OUT" 2>"$ERR"
    got=$?
    set -e
    [ "$got" = "$want" ] || fail "exit $got, wanted $want: $*"
}

has() { grep -qF -- "$1" "$OUT" || fail "stdout lacks: $1"; }
hasnt() { ! grep -qF -- "$1" "$OUT" || fail "stdout has: $1"; }
err_has() { grep -qF -- "$1" "$ERR" || fail "stderr lacks: $1"; }
json() { jq -e "$1" "${2:-$OUT}" >/dev/null || fail "jq '$1' does not hold for ${2:-$OUT}"; }

# start_fake SCRIPT [ARGS...]: the scripted OpenAI-compatible server on a free port; sets
# FAKE_URL and FAKE_LOG. Requests are checked against the official request schema.
start_fake() {
    script=$1
    shift
    rm -f "$WORK/port"
    FAKE_LOG="$WORK/fake.log"
    : >"$FAKE_LOG"
    "$TL_PYTHON" "$TL_TESTS/fakes/fake_openai.py" --script "$script" --port-file "$WORK/port" \
        --log "$FAKE_LOG" --schema "$TL_FIXTURES/openai/chat-completions-schemas.json" \
        --idle-timeout $((60 * TL_SLOW)) "$@" 2>"$WORK/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$WORK/port" ] && break
        sleep 0.05
    done
    [ -s "$WORK/port" ] || fail "the fake server did not start: $(cat "$WORK/fake.err")"
    FAKE_URL="http://127.0.0.1:$(cat "$WORK/port")/v1"
}

# start_server NAME SCRIPT [ARGS...]: start another fake server from tests/fakes/SCRIPT (a
# Python program taking --port-file FILE, listening on 127.0.0.1). Sets NAME_PORT, NAME_PID and
# NAME_URL (http://127.0.0.1:PORT); its stderr goes to $WORK/NAME.err. Killed on exit.
start_server() {
    name=$1
    script=$2
    shift 2
    rm -f "$WORK/$name.port"
    "$TL_PYTHON" "$TL_TESTS/fakes/$script" --port-file "$WORK/$name.port" "$@" \
        2>"$WORK/$name.err" &
    pid=$!
    SERVER_PIDS="$SERVER_PIDS $pid"
    for _ in $(seq 1 200); do
        [ -s "$WORK/$name.port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -s "$WORK/$name.port" ] || fail "$script did not start: $(cat "$WORK/$name.err")"
    port=$(cat "$WORK/$name.port")
    eval "${name}_PORT=$port ${name}_PID=$pid ${name}_URL=http://127.0.0.1:$port"
}

# stop_server NAME: stop a server started with start_server and wait for it.
stop_server() {
    eval "pid=\${${1}_PID:-}"
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
}

stop_fake() {
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
    FAKE_PID=""
}

# every request the fake server received validated against CreateChatCompletionRequest
requests_valid() {
    if jq -e 'select(.invalid == true)' "$FAKE_LOG" >/dev/null 2>&1; then
        fail "a request did not validate: $(jq -c 'select(.invalid == true)' "$FAKE_LOG" | head -c 600)"
    fi
}

# every line of a trajectory is one JSON object with the step fields of SPEC §5
trajectory_ok() {
    dir=$1
    [ -s "$dir/trajectory.jsonl" ] || fail "no $dir/trajectory.jsonl"
    jq -e -s 'length > 0 and all(.[]; has("step") and has("time") and has("package") and
        has("elements") and has("screenshot") and has("llm_ms") and has("action") and
        has("result") and has("timings"))' "$dir/trajectory.jsonl" >/dev/null ||
        fail "malformed trajectory: $(head -c 800 "$dir/trajectory.jsonl")"
    [ -s "$dir/result.json" ] || fail "no result.json in $dir"
    [ -s "$dir/report.html" ] || fail "no report.html in $dir"
}
