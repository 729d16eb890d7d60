#!/bin/sh
# End-to-end: the mobilerun driver against the fake Mobilerun server (tests/fakes/
# fake_mobilerun.py, whose phones are sim phones) and the scripted OpenAI-compatible server:
# a goal run to success, the concurrent tree + screenshot requests, connection reuse,
# provisioning with termination on success, failure, a wait that times out, SIGINT and SIGTERM,
# a rejected key that never leaks, transient 503/429/truncated answers, the 402/403/404/5xx
# messages, `devices` with pagination, the advice when no device is ready, --wait, and the
# driver conformance test run against the fake. Every request the fake received must follow
# the API reference (no "violation" in its log).
#
# The fake servers all start at once, each with a config that serves several checks (devices
# with their own faults); a fake's log is emptied before each check.
. "$(dirname "$0")/lib.sh"

KEY="mr-e2e-secret-$$-x7Q"
LLM_LOG="$WORK/llm.log"
export MOBILERUN_API_KEY="$KEY"

# launch NAME SCRIPT ARGS...: start a fake server from tests/fakes/SCRIPT in the background
# (as start_server does, without waiting for it); ready_all waits for every launched one and
# sets NAME_URL. Starting them all at once saves the interpreter's start-up time.
LAUNCHED=""
launch() {
    name=$1
    script=$2
    shift 2
    rm -f "$WORK/$name.port"
    "$TL_PYTHON" "$TL_TESTS/fakes/$script" --port-file "$WORK/$name.port" "$@" \
        2>"$WORK/$name.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
    LAUNCHED="$LAUNCHED $name"
}
ready_all() {
    for name in $LAUNCHED; do
        for _ in $(seq 1 200); do
            [ -s "$WORK/$name.port" ] && break
            sleep 0.05
        done
        [ -s "$WORK/$name.port" ] || fail "fake server $name did not start: $(cat "$WORK/$name.err")"
        eval "${name}_URL=http://127.0.0.1:$(cat "$WORK/$name.port")"
    done
}

# launch_mr NAME CONFIG_JSON: a fake Mobilerun called NAME (its own phones, log $WORK/NAME.log)
launch_mr() {
    printf '%s\n' "$2" >"$WORK/$1.json"
    : >"$WORK/$1.log"
    launch "$1" fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/$1.json" --key "$KEY" \
        --log "$WORK/$1.log" --idle-timeout $((300 * TL_SLOW))
}

# use_mr NAME: point taploop (MOBILERUN_BASE_URL) and the log checks (MR_LOG) at fake NAME
use_mr() {
    eval "url=\${${1}_URL}"
    export MOBILERUN_BASE_URL="$url/v1"
    MR_LOG="$WORK/$1.log"
}

# a new check: empty the fake's log
check() {
    echo "$1"
    : >"$MR_LOG"
}

# mr_json FILTER: a jq filter over the fake's log slurped into an array must hold
mr_json() {
    jq -e -s "$1" "$MR_LOG" >/dev/null || fail "fake log: '$1' does not hold: $(jq -c -s \
        'map([.n, .method, .path, .status, .violation])' "$MR_LOG" | head -c 1500)"
}

# no request broke the reference
no_violations() {
    mr_json 'map(select(.violation != null)) | length == 0'
}

# the key appears in none of these files or directories
no_key() {
    for f in "$@"; do
        if grep -rqF -- "$KEY" "$f" 2>/dev/null; then
            fail "the API key appears in $f"
        fi
    done
}

# wait_log FILE TEXT: wait (up to 10 s) until FILE contains TEXT
wait_log() {
    for _ in $(seq 1 200); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    fail "timed out waiting for '$2' in $1"
}

# wait_lines FILE N: wait (up to 10 s) until FILE has more than N lines
wait_lines() {
    for _ in $(seq 1 200); do
        [ "$(wc -l <"$1")" -gt "$2" ] && return 0
        sleep 0.05
    done
    fail "timed out waiting for line $(($2 + 1)) of $1"
}

# run_signal SIGNAL UNTIL CMD...: run CMD in the background, send SIGNAL once the shell
# command UNTIL returns, and check that CMD exits 130
run_signal() {
    sig=$1
    until=$2
    shift 2
    set +e
    "$@" >"$OUT" 2>"$ERR" &
    pid=$!
    eval "$until"
    sleep 0.1
    kill -"$sig" "$pid"
    wait "$pid"
    got=$?
    set -e
    [ "$got" = 130 ] || fail "exit $got after SIG$sig, wanted 130: $*"
}

# One LLM script for every run, consumed in order: the Dark theme goal, a run that succeeds at
# once, one that fails, and two that are interrupted while the model "thinks".
cat >"$WORK/llm.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}, "content": "Settings has the Dark theme switch."},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display"},
  {"tool": "tap", "tap_text": "Display"},
  {"tool": "tap", "tap_text": "Dark theme"},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}},
  {"tool": "done", "args": {"success": true, "message": "nothing to do"}},
  {"tool": "done", "args": {"success": false, "message": "cannot do it"}},
  {"tool": "done", "args": {"success": true, "message": "late"}, "delay_ms": 20000},
  {"tool": "done", "args": {"success": true, "message": "late"}, "delay_ms": 20000}
]}
EOF
: >"$LLM_LOG"
launch LLM fake_openai.py --script "$WORK/llm.json" --log "$LLM_LOG" --idle-timeout $((60 * TL_SLOW))

# MAIN: dev-1 is the first ready device; dev-2 answers slowly; dev-3 has transient faults
launch_mr MAIN '{"devices": [
  {"id": "dev-1", "name": "Pixel 7", "state": "ready", "type": "dedicated_physical_device"},
  {"id": "dev-2", "state": "ready"}, {"id": "dev-3", "state": "ready"}],
 "provision": {"ready_after_ms": 200},
 "faults": [
  {"method": "GET", "path": "/devices/dev-2/ui-state", "delay_ms": 400, "always": true},
  {"method": "GET", "path": "/devices/dev-2/screenshot", "delay_ms": 400, "always": true},
  {"method": "GET", "path": "/devices/dev-3/ui-state", "status": 503, "times": 1},
  {"method": "GET", "path": "/devices/dev-3/screenshot", "truncate": true, "times": 1},
  {"method": "POST", "path": "/devices/dev-3/tap", "status": 429, "retry_after": 1, "times": 1}]}'
# PHONE: a phone whose Portal app reconnects 400 ms into the first wait; devices created here
# never become ready
launch_mr PHONE '{"devices": [{"id": "ph-1", "name": "My phone", "state": "disconnected",
                               "ready_after_ms": 400}],
                  "provision": {"ready_after_ms": 60000}, "wait_max_ms": 500}'
# EMPTY: no devices; creating one is refused twice (plan limit, then credits)
launch_mr EMPTY '{"devices": [], "faults": [
  {"method": "POST", "path": "/devices", "status": 403, "times": 1},
  {"method": "POST", "path": "/devices", "status": 402, "times": 1}]}'
# PAGES: five devices, two per page
launch_mr PAGES '{"page_size": 2, "devices": [
  {"id": "a1", "name": "Pixel 7", "state": "ready", "type": "dedicated_physical_device"},
  {"id": "b2", "name": "Old phone", "state": "disconnected", "type": "dedicated_physical_device"},
  {"id": "c3", "name": "Cloud", "state": "creating", "type": "dedicated_emulated_device"},
  {"id": "d4", "name": "Gone", "state": "terminated", "type": "dedicated_premium_device"},
  {"id": "e5", "name": "Spare", "state": "ready", "type": "dedicated_emulated_device"}]}'
# FAILING and CONFORMANCE serve two slow checks run in the background while the others go on:
# a device call that keeps failing with 500 (four attempts with backoff), and the driver
# conformance test (tests/drivers/test_driver_conformance.c) run with the fake configured.
launch_mr FAILING '{"devices": [{"id": "dev-4", "state": "ready"}],
  "faults": [{"method": "POST", "path": "/devices/dev-4/global", "status": 500, "always": true}]}'
launch_mr CONFORMANCE '{"devices": [{"id": "dev-1", "state": "ready"}]}'
ready_all
LLM_V1="$LLM_URL/v1"

(
    set +e
    MOBILERUN_BASE_URL="$FAILING_URL/v1" "$TAPLOOP" act press_key home --driver mobilerun \
        >"$WORK/failing.out" 2>"$WORK/failing.err"
    echo $? >"$WORK/failing.rc"
) &
BG_FAILING=$!
conformance="$(dirname "$TAPLOOP_BIN")/tests/drivers_test_driver_conformance"
[ -x "$conformance" ] || fail "no $conformance"
(
    set +e
    MOBILERUN_BASE_URL="$CONFORMANCE_URL/v1" "$conformance" --jobs 1 --verbose \
        >"$WORK/conformance.out" 2>"$WORK/conformance.err"
    echo $? >"$WORK/conformance.rc"
) &
BG_CONFORMANCE=$!

use_mr MAIN
check "Dark theme on the fake phone"
run 0 "$TAPLOOP" run "Turn on Dark theme" --driver mobilerun --llm-url "$LLM_V1" \
    --out "$WORK/dark" --json
json '.success == true and .status == "completed" and .device == "dev-1" and
      .driver == "mobilerun" and .steps == 5'
err_has 'Switch "Dark theme" checked=false clickable (540,924) -> ok'
trajectory_ok "$WORK/dark"
[ -s "$WORK/dark/step-001.png" ] || fail "no screenshot in the trajectory"
jq -e '[.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length == 1' \
    "$WORK/dark/step-005.ui.json" >/dev/null || fail "the last screen does not show Dark theme on"
no_violations
mr_json '(map(select(.method == "PUT")) | map([.path, .body])) ==
             [["/v1/devices/dev-1/apps/com.android.settings", {}]] and
         (map(select(.method == "POST")) | map(.path)) == ["/v1/devices/dev-1/swipe",
             "/v1/devices/dev-1/tap", "/v1/devices/dev-1/tap"] and
         (map(select(.method == "POST"))[0].body.duration >= 10) and
         all(.[]; .headers.Authorization == "Bearer <redacted>") and
         all(.[] | select(.body != null); .headers["Content-Type"] == "application/json")'
# connections are reused: one for the device list, the tree and the actions; one for screenshots
mr_json '([.[].conn] | unique | length) == 2 and
         ([.[] | select(.path | endswith("/screenshot")) | .conn] | unique | length) == 1'
no_key "$OUT" "$ERR" "$WORK/dark" "$MR_LOG" "$LLM_LOG"

check "tree and screenshot are fetched concurrently"
run 0 "$TAPLOOP" observe --driver mobilerun --device dev-2 --screenshot "$WORK/shot.png"
has '[1] TextView "Settings"'
[ "$(head -c 8 "$WORK/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "the screenshot is not a PNG"
mr_json '(map(select(.path | endswith("/ui-state"))) | .[0]) as $t |
         (map(select(.path | endswith("/screenshot"))) | .[0]) as $s |
         $t.fault.delay_ms == 400 and $s.fault.delay_ms == 400 and
         $t.start < $s.end and $s.start < $t.end and $t.conn != $s.conn'
no_violations

check "in a run, each step's screenshot is fetched together with its tree"
cat >"$WORK/llm-conc.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "done", "args": {"success": true, "message": "Settings is open."}}
]}
JSON
start_fake "$WORK/llm-conc.json"
run 0 "$TAPLOOP" run "Open Settings" --driver mobilerun --device dev-2 --llm-url "$FAKE_URL" \
    --out "$WORK/conc" --json
stop_fake
json '.success == true and .steps == 2'
# one screenshot per step, each overlapping a tree request on the other connection
mr_json '[.[] | select(.path | endswith("/screenshot"))] as $s |
         [.[] | select(.path | endswith("/ui-state"))] as $t |
         ($s | length) == 2 and
         all($s[]; . as $x | any($t[]; .start < $x.end and $x.start < .end and .conn != $x.conn))'
no_violations

check "transient 503, 429 and truncated answers are retried"
run 0 "$TAPLOOP" observe --driver mobilerun --device dev-3 --screenshot "$WORK/shot3.png"
has '[1] TextView "Settings"'
run 0 "$TAPLOOP" act tap 135 336 --driver mobilerun --device dev-3
mr_json '([.[] | select(.path == "/v1/devices/dev-3/ui-state") | .status][0:2] == [503, 200]) and
         ([.[] | select(.path == "/v1/devices/dev-3/screenshot") | .fault.truncate] == [true, null]) and
         ([.[] | select(.path == "/v1/devices/dev-3/tap") | .status] == [429, 200]) and
         ([.[] | select(.path == "/v1/devices/dev-3/tap")] | .[1].start - .[0].end >= 0.9)'
no_violations

check "an unknown device: 404 named; a missing app: refused (exit 1)"
run 3 "$TAPLOOP" observe --driver mobilerun --device no-such-device
err_has "404 Not Found: device no-such-device not found"
run 1 "$TAPLOOP" act start_app org.taploop.missing --driver mobilerun
err_has "app org.taploop.missing is not installed on device dev-1"
no_violations

check "a temporary device is terminated after a successful run"
run 0 "$TAPLOOP" run "Check the phone" --driver mobilerun --provision dedicated_emulated_device \
    --apps "com.example.notes, com.android.contacts" --llm-url "$LLM_V1" --no-trace --json
json '.message == "nothing to do"'
dev=$(jq -r .device "$OUT")
case "$dev" in prov-*) ;; *) fail "the run did not use the provisioned device: $dev" ;; esac
err_has "terminated the temporary device $dev"
mr_json '(map(select(.method == "POST" and .path == "/v1/devices")) | length == 1 and
          .[0].query.deviceType == ["dedicated_emulated_device"] and
          .[0].body.apps == ["com.example.notes", "com.android.contacts"] and
          (.[0].body.name | type == "string"))'
mr_json 'map(select(.path == "/v1/devices/'"$dev"'/wait")) | length >= 1'
mr_json '(map(select(.method == "DELETE")) | length == 1 and .[0].path == "/v1/devices/'"$dev"'"
          and .[0].body == {} and .[0].status == 200) and .[-1].method == "DELETE"'
no_violations
# --no-trace without --vision needs no screenshot: none is fetched
mr_json 'map(select(.path | endswith("/screenshot"))) | length == 0'

check "... after a failed run"
run 1 "$TAPLOOP" run "Check the phone" --driver mobilerun --provision dedicated_physical_device \
    --llm-url "$LLM_V1" --no-trace --json
json '.status == "failed" and .message == "cannot do it"'
dev=$(jq -r .device "$OUT")
mr_json 'map(select(.method == "DELETE" and .path == "/v1/devices/'"$dev"'")) | length == 1'
mr_json 'map(select(.method == "POST" and .path == "/v1/devices"))[0].body.apps == []'

for sig in INT TERM; do
    check "... on SIG$sig while the model thinks"
    seen=$(wc -l <"$LLM_LOG")
    run_signal "$sig" "wait_lines '$LLM_LOG' $seen" "$TAPLOOP" run "Check the phone" \
        --driver mobilerun --provision dedicated_premium_device --llm-url "$LLM_V1" \
        --out "$WORK/sig$sig" --json
    json '.status == "interrupted"'
    dev=$(jq -r .device "$OUT")
    mr_json 'map(select(.method == "DELETE" and .path == "/v1/devices/'"$dev"'")) | length == 1'
    err_has "terminated the temporary device $dev"
    no_key "$OUT" "$ERR" "$WORK/sig$sig"
done
no_violations

check "a rejected key: exit 3, the message names MOBILERUN_API_KEY, the key is shown nowhere"
GOOD_KEY=$KEY
KEY="mr-wrong-secret-$$-k9"
run 3 env MOBILERUN_API_KEY="$KEY" "$TAPLOOP" run "Check the phone" --driver mobilerun \
    --llm-url "$LLM_V1" --out "$WORK/badkey" --json
err_has "401 Unauthorized: the API key was rejected (check MOBILERUN_API_KEY)"
json '.status == "error" and (.message | contains("MOBILERUN_API_KEY"))'
no_key "$OUT" "$ERR" "$WORK/badkey" "$MR_LOG" "$LLM_LOG"
run 3 env MOBILERUN_API_KEY="$KEY" "$TAPLOOP" devices --driver mobilerun
err_has "check MOBILERUN_API_KEY"
no_key "$OUT" "$ERR"
KEY=$GOOD_KEY
run 2 env -u MOBILERUN_API_KEY "$TAPLOOP" observe --driver mobilerun
err_has "MOBILERUN_API_KEY is not set"

use_mr PHONE
check "a temporary device that never becomes ready: the wait times out, the device is terminated"
run 3 "$TAPLOOP" run "Check the phone" --driver mobilerun --provision dedicated_emulated_device \
    --timeout 1 --llm-url "http://127.0.0.1:9/v1" --no-trace
err_has "did not become ready within 1 s"
err_has "terminated the temporary device prov-"
mr_json 'map(select(.method == "DELETE")) | length == 1 and (.[0].path | startswith("/v1/devices/prov-"))'

check "... and on SIGINT while waiting for it"
run_signal INT "wait_log '$ERR' 'waiting up to'" "$TAPLOOP" run "Check the phone" \
    --driver mobilerun --provision dedicated_emulated_device --llm-url "http://127.0.0.1:9/v1" \
    --no-trace
mr_json 'map(select(.method == "DELETE")) | length == 1 and .[0].status == 200'
err_has "terminated the temporary device prov-"
no_violations

check "a disconnected phone: the reference's advice"
run 3 "$TAPLOOP" observe --driver mobilerun
err_has "no device is ready: device ph-1 (My phone) is disconnected"
err_has "open the Droidrun Portal app on the phone and tap Connect"

check "--wait waits for the device"
run 0 "$TAPLOOP" observe --driver mobilerun --wait
has '[1] TextView "Settings"'
err_has "device ph-1 is ready"
mr_json 'map(select(.path == "/v1/devices/ph-1/wait")) | length >= 1'
no_violations

use_mr EMPTY
check "no devices at all: the reference's advice"
run 3 "$TAPLOOP" observe --driver mobilerun
err_has "no devices on this account: connect a phone with the Droidrun Portal app"

check "403 (plan limit) and 402 (credits) explained; nothing to terminate"
run 3 "$TAPLOOP" run "x" --driver mobilerun --provision dedicated_emulated_device --no-trace
err_has "403 Forbidden: the plan's device limit is reached: terminate a device"
err_has "device_slot limit reached"
run 3 "$TAPLOOP" run "x" --driver mobilerun --provision dedicated_emulated_device --no-trace
err_has "402 Payment Required: not enough credits"
mr_json 'map(select(.method == "DELETE")) | length == 0'
no_violations

use_mr PAGES
check "devices: table and --json over several pages"
run 0 "$TAPLOOP" devices --driver mobilerun
has "ID  NAME       STATE         TYPE"
has "b2  Old phone  disconnected  dedicated_physical_device"
has "e5  Spare      ready         dedicated_emulated_device"
[ "$(wc -l <"$OUT")" = 6 ] || fail "expected a header and 5 devices"
run 0 "$TAPLOOP" devices --driver mobilerun --json
json '.driver == "mobilerun" and (.devices | length == 5) and
      ([.devices[] | select(.ready) | .id] == ["a1", "e5"]) and
      .devices[2] == {"id": "c3", "name": "Cloud", "state": "creating",
                      "type": "dedicated_emulated_device", "ready": false}'
mr_json '[.[] | select(.path == "/v1/devices") | .query.page[0]] == ["1", "2", "3", "1", "2", "3"]'
no_violations

echo "5xx after the retries (background)"
wait "$BG_FAILING" || true
cp "$WORK/failing.out" "$OUT"
cp "$WORK/failing.err" "$ERR"
[ "$(cat "$WORK/failing.rc")" = 3 ] || fail "exit $(cat "$WORK/failing.rc") after 500s, wanted 3"
err_has "500 Internal Server Error: the service failed after 4 attempts"
use_mr FAILING
mr_json '[.[] | select(.path == "/v1/devices/dev-4/global")] | length == 4'
no_violations

echo "the driver conformance test passes against the fake (background)"
wait "$BG_CONFORMANCE" || true
cp "$WORK/conformance.out" "$OUT"
cp "$WORK/conformance.err" "$ERR"
[ "$(cat "$WORK/conformance.rc")" = 0 ] || fail "conformance against the fake failed"
! grep -q "SKIP.*mobilerun" "$ERR" || fail "conformance skipped mobilerun"
grep -q "Failing: 0" "$ERR" || fail "conformance summary"
use_mr CONFORMANCE
mr_json 'map(select(.path == "/v1/devices/dev-1/packages")) | length >= 1'
no_violations

echo "e2e mobilerun: all passed"
