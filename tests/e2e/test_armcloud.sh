#!/bin/sh
# End-to-end: the armcloud driver against the fake ArmCloud server (tests/fakes/fake_armcloud.py),
# whose pads are sim phones behind FakeDevice's Android shell. Every request's signature is
# checked by the fake's own implementation (self-tested against the vectors first). Covers
# devices (table, --json, pagination, default pad), observe/act, a goal run with the fake LLM, a
# contact name full of shell metacharacters arriving literally with no injection, a wrong SK and
# an unknown pad (exit 3, no secret anywhere), the syncCmd -> asyncCmd fallback (error 110012,
# taskStatus -4, an HTTP timeout), SIGINT while a task is awaited, 429/5xx retries, chunked reads
# cut inside a UTF-8 character, the VMOS path table under a base URL prefix, and configuration
# errors (exit 2).
. "$(dirname "$0")/lib.sh"

AK=AKTESTe2e0000000000000001
SK=SKe2eSecret/with+chars=0001
VECTORS="$TL_FIXTURES/armcloud/signing-vectors.json"
PAD=AC22030010001

echo "the fake's signer reproduces every vector"
run 0 "$TL_PYTHON" "$TL_TESTS/fakes/fake_armcloud.py" --self-test "$VECTORS"
has "self-test: passed"
hasnt "FAIL"

# start_ac NAME [ARGS...]: a fake ArmCloud server with its own work directory and log; sets
# ARMCLOUD_* for it. Pads: AC22030010001 (running, its padIp encrypted as in the AES example),
# AC22030010002 (abnormal), and whatever ARGS add.
start_ac() {
    name=$1
    shift
    mkdir -p "$WORK/$name"
    start_server "$name" fake_armcloud.py --ak "$AK" --sk "$SK" --taploop "$TAPLOOP" \
        --workdir "$WORK/$name" --log "$WORK/$name.log" --idle-timeout $((120 * TL_SLOW)) \
        --pad "$PAD,ip=iMzQUI7SwzSD0kGJ:4FZ1fn1Jdd5Z4j2ehn/F3VSUVWBwLFQZH/HOCjLAI95r" \
        --pad AC22030010002,status=14,grade=q1-2 "$@"
    eval "ARMCLOUD_BASE_URL=\$${name}_URL"
    AC_LOG="$WORK/$name.log"
    AC_DIR="$WORK/$name"
    export ARMCLOUD_AK="$AK" ARMCLOUD_SK="$SK" ARMCLOUD_BASE_URL
    unset ARMCLOUD_API ARMCLOUD_CHUNK_BYTES ARMCLOUD_SYNC_TIMEOUT_MS 2>/dev/null || true
    export ARMCLOUD_POLL_MS=20
}

# every request the fake received was signed right
all_signed() {
    jq -e -s 'length > 0 and all(.[]; .method == "GET" or .sig_ok == true)' "$AC_LOG" \
        >/dev/null || fail "a request was not signed right: $(jq -c 'select(.sig_ok == false)' \
        "$AC_LOG" | head -c 600)"
}

# neither the SK nor any request's signature appears in FILES
no_secrets() {
    sigs=$("$TL_PYTHON" - "$AC_LOG" "$AK" "$SK" <<'EOF'
import json, sys
sys.path.insert(0, __import__("os").environ["TL_TESTS"] + "/fakes")
import fake_armcloud
log, ak, sk = sys.argv[1:4]
for line in open(log, encoding="utf-8"):
    e = json.loads(line)
    if e.get("method") != "POST":
        continue
    h = e["headers"]
    body = e["body"] if isinstance(e["body"], str) else json.dumps(e["body"], ensure_ascii=False,
                                                                    separators=(",", ":"))
    s = fake_armcloud.sign(ak, sk, h["x-date"], h["x-host"], h["content-type"], body.encode())
    print(s["signature"])
EOF
)
    for f in "$@"; do
        ! grep -qF -- "$SK" "$f" || fail "the SK appears in $f"
        for s in $sigs; do
            ! grep -qF -- "$s" "$f" || fail "a request signature appears in $f"
        done
    done
}

# the phone behind a pad: `taploop observe --json` on its sim state
phone() {
    XDG_STATE_HOME="$AC_DIR/device-$1/state" "$TAPLOOP" observe --json -q --driver sim --device "sim:$1" \
        >"$WORK/phone.json" || fail "cannot read the fake phone $1"
}

echo "configuration errors are exit 2"
unset ARMCLOUD_AK ARMCLOUD_SK ARMCLOUD_BASE_URL ARMCLOUD_API 2>/dev/null || true
run 2 "$TAPLOOP" devices --driver armcloud
err_has "ARMCLOUD_AK"
ARMCLOUD_AK=x run 2 "$TAPLOOP" observe --driver armcloud
err_has "ARMCLOUD_SK is not set"
ARMCLOUD_AK=x ARMCLOUD_SK=y ARMCLOUD_API=aws run 2 "$TAPLOOP" devices --driver armcloud
err_has "ARMCLOUD_API must be armcloud (the default) or vmos"
ARMCLOUD_AK=x ARMCLOUD_SK=y ARMCLOUD_BASE_URL=ftp://h run 2 "$TAPLOOP" devices --driver armcloud
err_has "ARMCLOUD_BASE_URL must start with https:// or http://"
ARMCLOUD_AK=x ARMCLOUD_SK=y ARMCLOUD_CHUNK_BYTES=12 run 2 "$TAPLOOP" devices --driver armcloud
err_has "ARMCLOUD_CHUNK_BYTES"

echo "devices: table, --json, pages of one pad, the encrypted padIp"
start_ac ac --page-rows 1 --adb-keyboard --fault '{"op":"infos","http":429,"retry_after":1}'
run 0 "$TAPLOOP" devices --driver armcloud
has "AC22030010001  47.92.204.33:5000  running   q2-4"
has "AC22030010002                     abnormal  q1-2"
run 0 "$TAPLOOP" devices --driver armcloud --json
json '.driver == "armcloud" and (.devices | length) == 2 and
      .devices[0] == {"id":"AC22030010001","name":"47.92.204.33:5000","state":"running",
                      "type":"q2-4","ready":true} and
      .devices[1].ready == false and .devices[1].state == "abnormal"'
jq -e -s '[.[] | select(.op == "infos" and .status == 200) | .body.page] == [1, 2, 1, 2]' \
    "$AC_LOG" >/dev/null || fail "pages were not fetched one by one"
jq -e -s '[.[] | select(.status == 429)] | length == 1' "$AC_LOG" >/dev/null ||
    fail "the 429 was not retried"
all_signed

echo "observe and act; --device defaults to the first running pad"
export TAPLOOP_DRIVER=armcloud
run 0 "$TAPLOOP" observe --screenshot "$WORK/shot.png"
has "com.android.launcher3, screen 1080x2400"
has '[1] TextView "Settings" clickable'
err_has "(image/png,"
[ "$(head -c 8 "$WORK/shot.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "the screenshot is not a PNG"
run 0 "$TAPLOOP" act start_app com.android.settings --device "$PAD"
run 0 "$TAPLOOP" observe --json --device "$PAD"
json '.driver == "armcloud" and .device == "AC22030010001" and .ui.package == "com.android.settings"'
run 1 "$TAPLOOP" act start_app com.example.missing --device "$PAD"
err_has "could not start com.example.missing"
jq -e -s '[.[] | .op] | index("startApp") and index("appOperateInfo")' \
    "$AC_LOG" >/dev/null || fail "startApp was not used and awaited"
all_signed

echo "a goal run: Turn on Dark theme"
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
run 0 "$TAPLOOP" run "Turn on Dark theme" --driver armcloud --device "$PAD" \
    --llm-url "$FAKE_URL" --out "$WORK/dark" --json -v
json '.success == true and .status == "completed" and .device == "AC22030010001" and
      .driver == "armcloud"'
trajectory_ok "$WORK/dark"
phone "$PAD"
jq -e '[.ui.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length == 1' \
    "$WORK/phone.json" >/dev/null || fail "Dark theme is not on on the fake phone"
requests_valid
stop_fake
all_signed
no_secrets "$OUT" "$ERR" "$AC_LOG" "$WORK/dark/trajectory.jsonl" "$WORK/dark/report.html"

echo "a contact whose name is full of shell metacharacters arrives literally"
NAME='Tom ; reboot $(id) "quotes" %s `uname` '"'it'"'s & | > x Zoë 你好世界'
jq -n --arg name "$NAME" '{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.contacts"}},
  {"tool": "tap", "tap_text": "Create contact"},
  {"tool": "type", "args": {"index": 3, "text": $name}},
  {"tool": "type", "args": {"index": 5, "text": "13111111111"}},
  {"tool": "tap", "tap_text": "Save"},
  {"tool": "done", "args": {"success": true, "message": "added"}}]}' >"$WORK/contact.json"
start_fake "$WORK/contact.json"
run 0 "$TAPLOOP" run "Add a contact" --driver armcloud --device "$PAD" --llm-url "$FAKE_URL" \
    --no-trace --json
json '.success == true and .steps == 6'
phone "$PAD"
jq -e --arg name "$NAME" '[.ui.elements[] | select(.text == $name)] | length == 1' \
    "$WORK/phone.json" >/dev/null || fail "the contact name did not arrive literally: \
$(jq -c '[.ui.elements[].text]' "$WORK/phone.json")"
[ ! -s "$AC_DIR/device-$PAD/injections.log" ] ||
    fail "injection: $(cat "$AC_DIR/device-$PAD/injections.log")"
jq -e -s 'all(.[]; .tool != "uname" and .tool != "id" and .tool != "reboot")' \
    "$AC_DIR/device-$PAD/tools.log" >/dev/null || fail "a tool ran that no command names"
jq -e -s '[.[] | select(.op == "syncCmd") | .body.scriptContent] |
          (map(select(startswith("settings get secure default_input_method"))) | length) == 1 and
          (map(select(contains("am broadcast") and contains("ADB_INPUT_B64"))) | length) >= 1' \
    "$AC_LOG" >/dev/null || fail "ADB Keyboard was not detected once and used for non-ASCII text"
requests_valid
stop_fake
all_signed

echo "chunked reads, one cut inside a UTF-8 character, give the same screen"
run 0 "$TAPLOOP" observe --device "$PAD"
has "Zoë 你好世界"
cp "$OUT" "$WORK/whole.txt"
dump="$AC_DIR/device-$PAD/sdcard/window_dump.xml"
at=$("$TL_PYTHON" -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.index("你".encode()))' "$dump")
[ "$at" -ge 1024 ] || fail "the name is too early in the dump ($at) for a 1 KiB chunk"
ARMCLOUD_CHUNK_BYTES=$((at + 1)) run 0 "$TAPLOOP" observe --device "$PAD"
cmp -s "$OUT" "$WORK/whole.txt" || fail "a chunk cut in 你 changed the screen: $(diff "$WORK/whole.txt" "$OUT")"
# the first chunk ended one byte into 你: the next read starts again at its first byte
jq -e -s --arg cmd "tail -c +$((at + 1)) '/sdcard/window_dump.xml' | head -c " \
    '[.[] | select(.op == "syncCmd") | .body.scriptContent | select(startswith($cmd))]
     | length == 1' \
    "$AC_LOG" >/dev/null || fail "the cut character was not read again: $(jq -c \
    'select(.op == "syncCmd") | .body.scriptContent | select(startswith("tail"))' "$AC_LOG")"
all_signed

echo "a wrong SK is exit 3, with the reference's meaning and no secret"
ARMCLOUD_SK='wrong/SK+value' run 3 "$TAPLOOP" devices
err_has "error 100004 (Invalid key)"
err_has "check ARMCLOUD_AK and ARMCLOUD_SK"
! grep -qF 'wrong/SK+value' "$OUT" "$ERR" "$AC_LOG" || fail "the wrong SK was printed or logged"
ARMCLOUD_SK='wrong/SK+value' run 3 "$TAPLOOP" observe --device "$PAD" -v
err_has "Invalid key"
! grep -qiF 'authorization:' "$ERR" || fail "a header was printed"
no_secrets "$OUT" "$ERR" "$AC_LOG"
jq -e -s '[.[] | select(.sig_ok == false)] | length >= 2 and
          all(.[] | select(.sig_ok == false); .code == 100004 and .why == "signature mismatch")' \
    "$AC_LOG" >/dev/null || fail "the fake did not reject the bad signatures"

echo "the fake rejects a right signature on an x-date 20 minutes old"
"$TL_PYTHON" - "$ARMCLOUD_BASE_URL" "$AK" "$SK" >"$OUT" 2>"$ERR" <<'EOF' || fail "skew check"
import json, sys, time, urllib.request
sys.path.insert(0, __import__("os").environ["TL_TESTS"] + "/fakes")
import fake_armcloud
base, ak, sk = sys.argv[1:4]
host = base.split("://", 1)[1]
body = b'{"page":1,"rows":10}'
for age in (0, 1200):
    x_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - age))
    s = fake_armcloud.sign(ak, sk, x_date, host, "application/json", body)
    req = urllib.request.Request(base + "/openapi/open/pad/infos", data=body, method="POST",
                                 headers={"content-type": "application/json", "x-date": x_date,
                                          "x-host": host, "authorization": s["authorization"]})
    print(age, json.load(urllib.request.urlopen(req))["code"])
EOF
has "0 200"
has "1200 100004"
jq -e -s '.[-1].why | test("^x-date is 120[0-9] s off")' "$AC_LOG" >/dev/null ||
    fail "the skew was not the reason: $(tail -n 1 "$AC_LOG")"

echo "an unknown pad is exit 3 naming it; so is a pad that is not running"
run 3 "$TAPLOOP" observe --device AC99999999999
err_has "pad AC99999999999 does not exist"
run 3 "$TAPLOOP" observe --device AC22030010002
err_has "pad AC22030010002 is abnormal, not running"
stop_server ac

echo "no running pad: exit 3 with advice"
mkdir -p "$WORK/none"
start_server none fake_armcloud.py --ak "$AK" --sk "$SK" --taploop "$TAPLOOP" \
    --workdir "$WORK/none" --pad AC1,status=11 --pad AC2,status=15
ARMCLOUD_BASE_URL=$none_URL run 3 "$TAPLOOP" observe
err_has "no running pad on this account (2 pads, none running)"
stop_server none

echo "tree and screenshot fetched concurrently"
start_ac conc --fault '{"op":"syncCmd","delay_ms":400,"match":"uiautomator dump"}' \
    --fault '{"op":"generatePreview","delay_ms":400}'
run 0 "$TAPLOOP" observe --device "$PAD" --screenshot "$WORK/shot-conc.png"
jq -e -s '(map(select(.op == "syncCmd" and (.body.scriptContent | contains("uiautomator dump"))))
           | .[0]) as $t | (map(select(.op == "generatePreview")) | .[0]) as $s |
          $t.start < $s.end and $s.start < $t.end' "$AC_LOG" >/dev/null ||
    fail "the dump and the preview did not overlap: $(jq -c '[.op, .start, .end]' "$AC_LOG")"
stop_server conc

echo "syncCmd -> asyncCmd: error 110012, taskStatus -4, an HTTP timeout, the server's own limit;"
echo "a pad the service says is gone (110028)"
start_ac slow --fault '{"op":"syncCmd","code":110012,"match":"uiautomator dump"}' \
    --fault '{"op":"syncCmd","delay_ms":6000,"match":"uiautomator dump"}' \
    --fault '{"op":"syncCmd","task_status":-4,"match":"input tap"}' \
    --fault '{"op":"generatePreview","http":503}' --task-delay-ms 50 \
    --fault '{"op":"syncCmd","code":110028,"match":"input tap 10 10"}'
export ARMCLOUD_SYNC_TIMEOUT_MS=2000 # a normal syncCmd takes well under 1 s here
run 0 "$TAPLOOP" observe --device "$PAD" --screenshot "$WORK/shot2.png"
has '[1] TextView "Settings" clickable'
run 0 "$TAPLOOP" act tap --text Settings --device "$PAD"
jq -e -s '[.[] | select(.op == "asyncCmd") | .body.scriptContent] as $a |
          ($a | map(select(contains("uiautomator dump"))) | length) == 2 and
          ($a | map(select(startswith("input tap"))) | length) == 1' "$AC_LOG" >/dev/null ||
    fail "the fallbacks did not run as asyncCmd tasks: $(jq -c 'select(.op == "asyncCmd")' "$AC_LOG")"
jq -e -s '[.[] | select(.op == "executeScriptInfo")] | length >= 3' "$AC_LOG" >/dev/null ||
    fail "executeScriptInfo was not polled"
phone "$PAD"
jq -e '.ui.package == "com.android.settings" and
       ([.ui.elements[] | select(.text == "Network & internet")] | length) == 1' \
    "$WORK/phone.json" >/dev/null || fail "the tap did not happen exactly once: $(jq -c \
    '[.ui.package, [.ui.elements[].text][:6]]' "$WORK/phone.json")"
run 3 "$TAPLOOP" act tap 10 10 --device "$PAD"
err_has "error 110028 (Instance does not exist): pad AC22030010001"
all_signed
stop_server slow
start_ac limit --sync-limit 0.01
run 0 "$TAPLOOP" act start_app com.android.settings --device "$PAD"
run 0 "$TAPLOOP" observe --device "$PAD"
has "com.android.settings"
jq -e -s '[.[] | select(.op == "syncCmd") | .code] | all(. == 110012)' "$AC_LOG" >/dev/null ||
    fail "the server limit did not answer 110012"
stop_server limit

echo "SIGINT while waiting for a task: exit 130 at once"
start_ac stuck --fault '{"op":"syncCmd","code":110012,"match":"uiautomator dump","count":-1}' \
    --fault '{"op":"asyncCmd","task_delay_ms":30000,"count":-1}'
echo '{"replies": []}' >"$WORK/none.json"
start_fake "$WORK/none.json"
"$TAPLOOP" run "Open Settings" --driver armcloud --device "$PAD" --llm-url "$FAKE_URL" \
    --out "$WORK/stuck" --json >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 200); do
    grep -q '"executeScriptInfo"' "$AC_LOG" 2>/dev/null && break
    sleep 0.05
done
grep -q '"executeScriptInfo"' "$AC_LOG" || fail "the task was never polled"
t0=$(date +%s%N)
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
t1=$(date +%s%N)
[ "$code" = 130 ] || fail "exit $code after SIGINT, wanted 130"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "took $(((t1 - t0) / 1000000)) ms to stop"
json '.status == "interrupted" and .driver == "armcloud"'
stop_fake
stop_server stuck
unset ARMCLOUD_SYNC_TIMEOUT_MS

echo "VMOS Cloud's path table under a base URL prefix, output in taskResult"
start_ac vmos --vmos --prefix /gw --output-field taskResult \
    --fault '{"op":"appOperateInfo","http":404,"count":-1}'
export ARMCLOUD_BASE_URL="$ARMCLOUD_BASE_URL/gw/"
run 3 "$TAPLOOP" devices
err_has "404"
err_has "check ARMCLOUD_BASE_URL and ARMCLOUD_API"
export ARMCLOUD_API=vmos
run 0 "$TAPLOOP" devices --json
json '(.devices | length) == 2'
run 0 "$TAPLOOP" observe --screenshot "$WORK/shot3.png"
has "com.android.launcher3"
err_has "(image/png,"
# a service without appOperateInfo: the stopApp task is accepted, not awaited
run 0 "$TAPLOOP" act stop_app com.android.settings
jq -e -s '[.[] | select(.op == "stopApp" and .status == 200)] | length == 1' "$AC_LOG" \
    >/dev/null || fail "stopApp was not called"
jq -e -s '[.[] | select(.op == "appOperateInfo") | .status] == [404]' "$AC_LOG" >/dev/null ||
    fail "appOperateInfo: $(jq -c 'select(.op == "appOperateInfo")' "$AC_LOG")"
jq -e -s '[.[] | select(.status == 200 and .method == "POST") | .path] |
          all(startswith("/gw/vcpcloud/api/padApi/"))' "$AC_LOG" >/dev/null ||
    fail "not every call used the VMOS table: $(jq -c .path "$AC_LOG" | sort -u)"
jq -e -s '[.[] | select(.op == "syncCmd")] | length > 0' "$AC_LOG" >/dev/null || fail "no syncCmd"
all_signed
stop_server vmos

echo "a batch over every pad: devices: all takes the running pads; a pad gone mid-batch fails alone"
start_ac batch --pad AC22030010003 --pad AC22030010004 \
    --fault '{"op":"syncCmd","code":110028,"match":"uiautomator dump","count":-1,"pad":"AC22030010004"}'
cat >"$WORK/ac-rules.json" <<'JSON'
{"rules": [
  {"step": 1, "tool": "press_key", "args": {"key": "home"}},
  {"tool": "done", "args": {"success": true, "message": "ok"}}
]}
JSON
start_fake "$WORK/ac-rules.json" --delay-ms 100
printf 'driver: armcloud\ndevices: all\nparallel: 3\nmax_steps: 4\ngoals: [Go home]\n' >"$WORK/ac.yaml"
run 3 "$TAPLOOP" batch "$WORK/ac.yaml" --llm-url "$FAKE_URL" --no-trace --json --settle-max 0
json 'select(.summary) | .summary.jobs == 3 and .summary.passed == 2 and .summary.errors == 1'
jq -e -s '.[] | select(.device == "AC22030010004") | .status == "error"' "$OUT" >/dev/null ||
    fail "the job of the vanished pad is not the error"
jq -e -s '[.[] | select(.device) | .device] | sort == ["AC22030010001", "AC22030010003", "AC22030010004"]' \
    "$OUT" >/dev/null || fail "devices: all did not take exactly the running pads"
all_signed
stop_fake
stop_server batch

echo "e2e armcloud: all passed"
