#!/bin/sh
# End-to-end: the adb driver against tests/fakes/fake_adb.py, a fake adb server whose devices are
# sim phones behind fake Android tools (tests/fakes/android). Covers `taploop devices`, observe
# and act through adb, device choice (ANDROID_SERIAL, --device, unknown and unauthorized
# serials), a goal run to success with the scripted LLM, hostile text typed literally with no
# injection, non-ASCII text with and without ADB Keyboard, a server that is not running, faults
# in the middle of replies, and the driver conformance test run against the fake server.
. "$(dirname "$0")/lib.sh"
unset ANDROID_SERIAL ADB_SERVER_SOCKET TAPLOOP_TEST_ADB_SERVER_SOCKET 2>/dev/null || true

# start_adb NAME [ARGS...]: a fake adb server with its own phones; sets ADB_SERVER_SOCKET and
# ADB_LOG, and DEVDIR (where phone SERIAL keeps its files: $DEVDIR/device-SERIAL).
start_adb() {
    n=$1
    shift
    ADB_LOG="$WORK/$n.log"
    DEVDIR="$WORK/$n"
    : >"$ADB_LOG"
    start_server "$n" fake_adb.py --taploop "$TAPLOOP" --workdir "$DEVDIR" --log "$ADB_LOG" \
        --idle-timeout $((60 * TL_SLOW)) "$@"
    eval "ADB_SERVER_SOCKET=tcp:127.0.0.1:\$${n}_PORT"
    export ADB_SERVER_SOCKET
}

echo "faults: garbage, a slow answer, a refused service, a reply cut in the middle"
start_adb A --devices 'emulator-5554:device,R58M123ABCD:unauthorized,192.168.1.50:5555:offline' \
    --fault garbage:1:host:devices-l --fault fail:1:uiautomator --fault close:1:screencap \
    --fault slow:1:host:transport --slow-ms 400
run 3 "$TAPLOOP" observe --driver adb
err_has "expected OKAY or FAIL"
t0=$(date +%s%N)
run 3 "$TAPLOOP" observe --driver adb
err_has "refused to run uiautomator dump"
[ $((($(date +%s%N) - t0) / 1000000)) -ge 400 ] || fail "the slow fault did not delay the transport"
grep -qF '"service": "host:transport:emulator-5554", "reply": "OKAY", "fault": "slow"' "$ADB_LOG" ||
    fail "the slow fault was not logged"
run 3 "$TAPLOOP" observe --driver adb --screenshot "$WORK/cut.png"
err_has "did not send a whole PNG"

echo "devices"
run 0 "$TAPLOOP" devices --driver adb
has "emulator-5554"
has "Sim_Phone"
has "product:taploop_sim device:sim"
grep -q '^R58M123ABCD  *unauthorized' "$OUT" || fail "unauthorized device line"
grep -q '^192.168.1.50:5555  *offline' "$OUT" || fail "offline device line"
run 0 "$TAPLOOP" devices --driver adb --json -v
err_has "adb: server version 41 at $ADB_SERVER_SOCKET"
json '.driver == "adb" and (.devices | length) == 3'
json '.devices[0] == {"id": "emulator-5554", "name": "Sim_Phone", "state": "device",
      "type": "product:taploop_sim device:sim", "ready": true}'
json '.devices[1].state == "unauthorized" and .devices[1].ready == false'
json '.devices[2].id == "192.168.1.50:5555" and .devices[2].state == "offline"'
grep -q '"service": "host:devices-l"' "$ADB_LOG" || fail "no host:devices-l request logged"

echo "observe and act through adb (the first ready device)"
run 0 "$TAPLOOP" observe --driver adb --json --screenshot "$WORK/shot.png"
json '.driver == "adb" and .device == "emulator-5554" and .ui.package == "com.android.launcher3"'
json '.ui.screen.width == 1080 and .ui.screen.height == 2400'
json '.ui.listing | startswith("[1] TextView \"Settings\"")'
[ "$(head -c 4 "$WORK/shot.png" | tail -c 3)" = "PNG" ] || fail "the screenshot is not a PNG"
grep -q '"service": "exec:screencap -p"' "$ADB_LOG" || fail "no exec:screencap -p logged"
grep -qF "\"service\": \"shell:uiautomator dump '/sdcard/window_dump.xml' && cat '/sdcard/window_dump.xml'; wm size; echo :taploop-exit=\$?\"" \
    "$ADB_LOG" || fail "no uiautomator dump logged"
run 0 "$TAPLOOP" act start_app com.android.settings --driver adb
run 0 "$TAPLOOP" act press_key home --driver adb --json
json '.ok == true'
run 0 "$TAPLOOP" observe --driver adb
has "com.android.launcher3"
run 1 "$TAPLOOP" act start_app org.taploop.no.such.app --driver adb
err_has "cannot start org.taploop.no.such.app"
run 2 "$TAPLOOP" act start_app 'com.x;reboot' --driver adb
grep -q 'reboot' "$ADB_LOG" && fail "an invalid package name reached the device"

echo "unknown and unusable serials"
run 3 "$TAPLOOP" observe --driver adb --device NOSUCHSERIAL
err_has 'no device "NOSUCHSERIAL" (from --device)'
err_has "emulator-5554 (device)"
run 3 env ANDROID_SERIAL=NOSUCHSERIAL "$TAPLOOP" act press_key back --driver adb
err_has 'no device "NOSUCHSERIAL" (from ANDROID_SERIAL)'
run 3 "$TAPLOOP" observe --driver adb --device R58M123ABCD
err_has "R58M123ABCD is unauthorized"
err_has "Allow USB debugging"
run 3 "$TAPLOOP" observe --driver adb --device 192.168.1.50:5555
err_has "replug"

echo "the driver conformance test, against the fake server"
CONFORMANCE="$(dirname "$TAPLOOP_BIN")/tests/drivers_test_driver_conformance"
[ -x "$CONFORMANCE" ] || fail "no $CONFORMANCE"
: >"$ADB_LOG"
run 0 env TAPLOOP_TEST_ADB_SERVER_SOCKET="$ADB_SERVER_SOCKET" "$CONFORMANCE" --verbose --jobs 1
grep -q 'SKIP.*adb' "$ERR" "$OUT" && fail "the conformance test skipped adb"
grep -q 'Failing: 0' "$ERR" "$OUT" || fail "conformance: no summary"
grep -q "\"service\": \"shell:monkey -p 'org.taploop.no.such.app'" "$ADB_LOG" &&
    grep -q '"service": "shell:input swipe ' "$ADB_LOG" &&
    grep -q '"service": "shell:pm list packages' "$ADB_LOG" ||
    fail "the conformance test did not run against the fake server"

stop_server A

echo "ANDROID_SERIAL chooses among ready devices; non-ASCII text with ADB Keyboard"
start_adb B --devices 'emulator-5554:device,emulator-5556:device' --adb-keyboard emulator-5556
export ANDROID_SERIAL=emulator-5556
run 0 "$TAPLOOP" act start_app com.android.contacts --driver adb
run 0 "$TAPLOOP" act tap --desc "Create contact" --driver adb
run 0 "$TAPLOOP" act type --index 3 --clear --driver adb 'Zoë 日本 %s'
run 0 "$TAPLOOP" observe --driver adb --device emulator-5554 --json
json '.device == "emulator-5554" and .ui.package == "com.android.launcher3"' # --device wins
unset ANDROID_SERIAL
run 0 "$TAPLOOP" observe --driver adb --device emulator-5556 --json
json '.ui.package == "com.android.contacts"'
json '[.ui.elements[] | select(.text == "Zoë 日本 %s")] | length == 1'
grep -q 'ADB_INPUT_B64' "$ADB_LOG" || fail "ADB Keyboard's broadcast was not used"
grep -q '"service": "host:transport:emulator-5556"' "$ADB_LOG" || fail "no transport to 5556"
stop_server B

echo "a goal run through adb: Dark theme"
start_adb C
cat >"$WORK/dark.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display"},
  {"tool": "tap", "tap_text": "Display"},
  {"tool": "tap", "tap_text": "Dark theme"},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}}
]}
EOF
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --driver adb --llm-url "$FAKE_URL" --out "$WORK/dark" \
    --json
json '.success == true and .status == "completed" and .driver == "adb" and
      .device == "emulator-5554" and .steps >= 5'
trajectory_ok "$WORK/dark"
[ -s "$WORK/dark/step-001.png" ] || fail "no screenshot in the trajectory"
steps=$(jq -r .steps "$OUT")
jq -e '[.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length == 1' \
    "$WORK/dark/$(printf 'step-%03d.ui.json' "$steps")" >/dev/null ||
    fail "the last screen does not show Dark theme checked"
requests_valid
stop_fake
run 0 "$TAPLOOP" observe --driver adb --json # the phone itself changed, not a copy
json '[.ui.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length == 1'

echo "hostile text (with %s and a backtick) arrives literally, nothing runs; non-ASCII fails"
NAME='Tom; reboot $(id) "quotes" %s `id` '"'"'x'"'"' & | > /sdcard/pwn \'
run 0 "$TAPLOOP" act start_app com.android.contacts --driver adb
run 0 "$TAPLOOP" act tap --desc "Create contact" --driver adb
run 0 "$TAPLOOP" act type --index 3 --driver adb -- "$NAME"
run 2 "$TAPLOOP" act type --driver adb 'Zoë'
err_has 'cannot type "ë"'
err_has "ADB Keyboard"
run 0 "$TAPLOOP" act tap --text Save --driver adb
run 0 "$TAPLOOP" observe --driver adb --json
json '.ui.package == "com.android.contacts"'
jq -e --arg name "$NAME" '[.ui.elements[] | select(.text == $name)] | length == 1' "$OUT" \
    >/dev/null || fail "the contact name did not arrive literally: $(jq -c '[.ui.elements[].text]' "$OUT")"
json '[.ui.elements[] | select(.text | test("Zo"))] | length == 0' # nothing half-typed
[ ! -s "$DEVDIR/device-emulator-5554/injections.log" ] ||
    fail "injection: $(cat "$DEVDIR/device-emulator-5554/injections.log")"
[ ! -e "$DEVDIR/device-emulator-5554/sdcard/pwn" ] || fail "a redirection ran"
grep -q '"tool": "id"' "$DEVDIR/device-emulator-5554/tools.log" && fail "id ran"
grep -q '"tool": "reboot"' "$DEVDIR/device-emulator-5554/tools.log" && fail "reboot ran"
stop_server C

echo "no server, a malformed ADB_SERVER_SOCKET"
run 3 "$TAPLOOP" observe --driver adb
err_has "adb server not reachable at $ADB_SERVER_SOCKET"
err_has 'adb start-server'
run 3 "$TAPLOOP" devices --driver adb
err_has 'adb start-server'
run 2 env ADB_SERVER_SOCKET=127.0.0.1:5037 "$TAPLOOP" observe --driver adb
err_has "ADB_SERVER_SOCKET"
err_has "tcp:HOST:PORT"

echo "e2e adb: all passed"
