#!/bin/sh
# End-to-end: SIGINT and SIGTERM (issue 8, item 3), one systematic pass. A signal lands while
# taploop is provably waiting for the LLM (sim run), for the device's observation (Mobilerun
# ui-state, ArmCloud slow syncCmd, ArmCloud task polling), during batches of 12 sim phones and
# 14 Mobilerun devices, and during a run on a provisioned Mobilerun device; each time taploop
# exits 130 within 2 s of the signal (measured from the kill to the end of `wait`), every
# trajectory line is a JSON object, result.json says "interrupted", and a temporary device is
# DELETEd. A second SIGINT (or SIGTERM) during the slow DELETE of the wind-down exits at once,
# with the farewell that names the device left running (agent/signals.c, agent/cmd_run.c).
#
# "Provably in the phase": the fakes log each request as it arrives (fake_openai.py's --log,
# fake_mobilerun.py's and fake_armcloud.py's --arrivals), and the signal is sent only once the
# request taploop is waiting on is in that log.
. "$(dirname "$0")/lib.sh"

KEY="mr-signals-$$"
export MOBILERUN_API_KEY="$KEY"
AK=AKTESTsignals00000000001
SK=SKsignalsSecret0001
# the issue's bound; under valgrind (TL_SLOW) the process's own exit takes longer (leak check)
LIMIT_MS=$((2000 * TL_SLOW))
TIMES=""

# wait_for SECONDS SHELL-CONDITION: poll (every 20 ms) until the condition holds, else fail
wait_for() {
    n=$(($1 * 50 * TL_SLOW))
    shift
    while [ "$n" -gt 0 ]; do
        eval "$*" && return 0
        sleep 0.02
        n=$((n - 1))
    done
    fail "timed out waiting for: $*"
}

# count FILE PATTERN: lines of FILE containing PATTERN (0 when FILE is missing)
count() {
    if [ -f "$1" ]; then grep -cF -- "$2" "$1" || true; else echo 0; fi
}

# interrupt NAME SIG: send SIG to $pid (started in the background), wait for it, and check
# that it exited 130 within LIMIT_MS of the signal; the time is kept for the summary
interrupt() {
    t0=$(date +%s%N)
    kill -"$2" "$pid"
    set +e
    wait "$pid"
    code=$?
    set -e
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    TIMES="$TIMES
  $1 SIG$2: ${ms} ms"
    [ "$code" = 130 ] || fail "$1: exit $code after SIG$2, wanted 130"
    [ "$ms" -lt "$LIMIT_MS" ] || fail "$1: took $ms ms after SIG$2 to exit"
    echo "  exit 130 ${ms} ms after SIG$2"
}

# lines_json FILE: every line of FILE is one JSON object (a missing or empty file has none)
lines_json() {
    [ -f "$1" ] || return 0
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s\n' "$line" | jq -e -c 'type == "object"' >/dev/null 2>&1 ||
            fail "not a JSON object in $1: $(printf '%s' "$line" | head -c 300)"
    done <"$1"
}

# interrupted_dir DIR MIN_STEPS: DIR holds a trajectory of at least MIN_STEPS complete lines
# and result.json with status "interrupted"
interrupted_dir() {
    lines_json "$1/trajectory.jsonl"
    steps=$(if [ -f "$1/trajectory.jsonl" ]; then wc -l <"$1/trajectory.jsonl"; else echo 0; fi)
    [ "$steps" -ge "$2" ] || fail "$1: $steps trajectory lines, wanted at least $2"
    [ "$2" = 0 ] || trajectory_ok "$1"
    jq -e '.status == "interrupted" and .success == false' "$1/result.json" >/dev/null 2>&1 ||
        fail "$1/result.json is not interrupted: $(cat "$1/result.json" 2>/dev/null)"
}

# The LLM: the first step opens Settings, every later request is answered after 30 s, so a
# run is in its second LLM wait for as long as the test needs.
cat >"$WORK/slow.json" <<'JSON'
{"rules": [
  {"step": 1, "tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "wait", "args": {"ms": 100}, "delay_ms": 30000}
]}
JSON
start_fake "$WORK/slow.json"

for sig in INT TERM; do
    echo "SIG$sig while the model thinks (sim)"
    : >"$FAKE_LOG"
    echo "# an older recording" >"$WORK/llm-$sig.cassette"
    "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --out "$WORK/llm-$sig" --json \
        --record "$WORK/llm-$sig.cassette" >"$OUT" 2>"$ERR" &
    pid=$!
    wait_for 20 '[ "$(count "$FAKE_LOG" "Step 2 of")" -ge 1 ]'
    # while recording, the older cassette is whole
    [ "$(cat "$WORK/llm-$sig.cassette")" = "# an older recording" ] || fail "cassette changed early"
    interrupt "LLM wait (sim)" "$sig"
    json '.status == "interrupted" and .success == false and .steps == 1'
    interrupted_dir "$WORK/llm-$sig" 1
    [ "$(wc -l <"$WORK/llm-$sig/trajectory.jsonl")" -eq 1 ] || fail "steps and trajectory differ"
    # the interrupted recording is put in place with the exchange it finished
    grep -q '^# recorded by taploop' "$WORK/llm-$sig.cassette" || fail "the recording is not kept"
    [ "$(grep -vc '^#' "$WORK/llm-$sig.cassette")" = 1 ] || fail "not the one finished exchange"
    [ -z "$(find "$WORK" -name "llm-$sig.cassette.tmp-*")" ] || fail "a temporary file is left"
    # the finished step is kept as it was; the one cut short before the answer is not a step
    jq -e -s '.[0].action.action == "start_app" and .[0].result == "ok"' \
        "$WORK/llm-$sig/trajectory.jsonl" >/dev/null || fail "step 1 not kept"
done

# ---- observations ------------------------------------------------------------------------

# Mobilerun: after the first observation, every ui-state answers after 30 s.
printf '%s\n' '{"devices": [{"id": "dev-1", "state": "ready"}],
  "faults": [{"method": "GET", "path": "/devices/dev-1/ui-state", "delay_ms": 30000,
              "after": 1, "always": true}]}' >"$WORK/mr-slow.json"
for sig in INT TERM; do
    echo "SIG$sig while waiting for a Mobilerun observation"
    : >"$WORK/mrslow.arr"
    : >"$WORK/mrslow.log"
    start_server MRSLOW fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/mr-slow.json" \
        --key "$KEY" --log "$WORK/mrslow.log" --arrivals "$WORK/mrslow.arr" --idle-timeout $((60 * TL_SLOW))
    : >"$FAKE_LOG"
    MOBILERUN_BASE_URL="$MRSLOW_URL/v1" "$TAPLOOP" run "Turn on Dark theme" --driver mobilerun \
        --llm-url "$FAKE_URL" --out "$WORK/mr-$sig" --json >"$OUT" 2>"$ERR" &
    pid=$!
    # the second ui-state request (the settle poll after step 1's action) has arrived
    wait_for 30 '[ "$(count "$WORK/mrslow.arr" "/ui-state")" -ge 2 ]'
    interrupt "observation (mobilerun ui-state)" "$sig"
    json '.status == "interrupted" and .driver == "mobilerun"'
    interrupted_dir "$WORK/mr-$sig" 0
    # the slow request was the one in flight: it never completed before the exit
    [ "$(count "$WORK/mrslow.log" "/ui-state")" -lt 2 ] || fail "the slow ui-state completed"
    [ "$(count "$FAKE_LOG" "Step 2 of")" = 0 ] || fail "the LLM was asked for step 2"
    stop_server MRSLOW
done

# start_ac NAME ARGS...: a fake ArmCloud (pad AC22030010001) with log and arrivals
start_ac() {
    name=$1
    shift
    mkdir -p "$WORK/$name"
    : >"$WORK/$name.arr"
    : >"$WORK/$name.log"
    start_server "$name" fake_armcloud.py --ak "$AK" --sk "$SK" --taploop "$TAPLOOP" \
        --workdir "$WORK/$name" --log "$WORK/$name.log" --arrivals "$WORK/$name.arr" \
        --idle-timeout $((60 * TL_SLOW)) "$@"
    eval "ARMCLOUD_BASE_URL=\$${name}_URL"
    export ARMCLOUD_AK="$AK" ARMCLOUD_SK="$SK" ARMCLOUD_BASE_URL ARMCLOUD_POLL_MS=20
}

for sig in INT TERM; do
    echo "SIG$sig while ArmCloud's syncCmd (uiautomator dump) is slow"
    start_ac ACSYNC --fault '{"op":"syncCmd","match":"uiautomator dump","delay_ms":30000,"count":-1}'
    "$TAPLOOP" run "Open Settings" --driver armcloud --device AC22030010001 \
        --llm-url "$FAKE_URL" --out "$WORK/acsync-$sig" --json >"$OUT" 2>"$ERR" &
    pid=$!
    wait_for 30 '[ "$(count "$WORK/ACSYNC.arr" "uiautomator dump")" -ge 1 ]'
    interrupt "observation (armcloud slow syncCmd)" "$sig"
    json '.status == "interrupted" and .driver == "armcloud"'
    interrupted_dir "$WORK/acsync-$sig" 0
    [ "$(count "$WORK/ACSYNC.log" "uiautomator dump")" = 0 ] || fail "the dump completed"
    stop_server ACSYNC

    echo "SIG$sig while an ArmCloud dump task is polled"
    start_ac ACTASK --fault '{"op":"syncCmd","code":110012,"match":"uiautomator dump","count":-1}' \
        --fault '{"op":"asyncCmd","task_delay_ms":30000,"count":-1}'
    "$TAPLOOP" run "Open Settings" --driver armcloud --device AC22030010001 \
        --llm-url "$FAKE_URL" --out "$WORK/actask-$sig" --json >"$OUT" 2>"$ERR" &
    pid=$!
    wait_for 30 '[ "$(count "$WORK/ACTASK.log" "\"executeScriptInfo\"")" -ge 2 ]'
    interrupt "observation (armcloud task poll)" "$sig"
    json '.status == "interrupted" and .driver == "armcloud"'
    interrupted_dir "$WORK/actask-$sig" 0
    stop_server ACTASK
done
unset ARMCLOUD_AK ARMCLOUD_SK ARMCLOUD_BASE_URL ARMCLOUD_POLL_MS

# ---- batches -----------------------------------------------------------------------------

echo "SIGINT during a batch of 12 sim phones, 6 at a time"
devs="sim:a"
for d in b c d e f g h i j k l; do devs="$devs, sim:$d"; done
printf 'devices: [%s]\nparallel: 6\ngoals: [Turn on Dark theme, Second goal]\n' "$devs" \
    >"$WORK/sim12.yaml"
: >"$FAKE_LOG"
"$TAPLOOP" batch "$WORK/sim12.yaml" --llm-url "$FAKE_URL" --out "$WORK/sim12" --json \
    --report "$WORK/sim12.xml" >"$OUT" 2>"$ERR" &
pid=$!
wait_for 40 '[ "$(count "$FAKE_LOG" "Step 2 of")" -ge 6 ]'
interrupt "batch of 12 sim phones" INT
json 'select(.summary) | .summary.jobs == 24 and .summary.interrupted == 24 and
      .summary.exit_code == 130'
[ "$(jq -c 'select(.device)' "$OUT" | wc -l)" = 24 ] || fail "a line per job"
running=$(ls "$WORK/sim12" | wc -l)
[ "$running" = 6 ] || fail "$running devices started, wanted 6"
for dir in "$WORK"/sim12/*/01-*; do interrupted_dir "$dir" 1; done
[ "$(ls -d "$WORK"/sim12/*/02-* 2>/dev/null | wc -l)" = 0 ] || fail "a second goal started"
"$TL_PYTHON" -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' \
    "$WORK/sim12.xml" || fail "the JUnit report of the interrupted batch does not parse"

echo "SIGTERM during a batch of 14 Mobilerun devices, all at once"
cfg='{"devices": ['
for i in 01 02 03 04 05 06 07 08 09 10 11 12 13 14; do
    [ "$i" = 01 ] || cfg="$cfg,"
    cfg="$cfg{\"id\": \"dev-$i\", \"state\": \"ready\"}"
done
printf '%s]}\n' "$cfg" >"$WORK/mr14.json"
start_server MR14 fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/mr14.json" \
    --key "$KEY" --log "$WORK/mr14.log" --static --latency-ms 50 --idle-timeout $((60 * TL_SLOW))
printf 'driver: mobilerun\ndevices: all\nparallel: 14\ngoals: [Turn on Dark theme]\n' \
    >"$WORK/mr14.yaml"
: >"$FAKE_LOG"
MOBILERUN_BASE_URL="$MR14_URL/v1" "$TAPLOOP" batch "$WORK/mr14.yaml" --llm-url "$FAKE_URL" \
    --out "$WORK/mr14" --json >"$OUT" 2>"$ERR" &
pid=$!
wait_for 40 '[ "$(count "$FAKE_LOG" "Step 2 of")" -ge 14 ]'
interrupt "batch of 14 mobilerun devices" TERM
json 'select(.summary) | .summary.jobs == 14 and .summary.interrupted == 14 and
      .summary.exit_code == 130'
[ "$(ls "$WORK/mr14" | wc -l)" = 14 ] || fail "not every device has a trajectory"
for dir in "$WORK"/mr14/*/01-*; do interrupted_dir "$dir" 1; done
stop_server MR14

# ---- provisioned devices -----------------------------------------------------------------

printf '%s\n' '{"devices": [], "provision": {"ready_after_ms": 100}}' >"$WORK/prov.json"
printf '%s\n' '{"devices": [], "provision": {"ready_after_ms": 100},
  "faults": [{"method": "DELETE", "path": "/devices/*", "delay_ms": 30000, "always": true}]}' \
    >"$WORK/prov-slow.json"
start_server PROV fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/prov.json" \
    --key "$KEY" --log "$WORK/prov.log" --arrivals "$WORK/prov.arr" --idle-timeout $((60 * TL_SLOW))
for sig in INT TERM; do
    echo "SIG$sig during a run on a provisioned device: the device is deleted"
    : >"$FAKE_LOG"
    : >"$WORK/prov.log"
    MOBILERUN_BASE_URL="$PROV_URL/v1" "$TAPLOOP" run "Turn on Dark theme" --driver mobilerun \
        --provision dedicated_emulated_device --llm-url "$FAKE_URL" --out "$WORK/prov-$sig" \
        --json >"$OUT" 2>"$ERR" &
    pid=$!
    wait_for 30 '[ "$(count "$FAKE_LOG" "Step 2 of")" -ge 1 ]'
    interrupt "provisioned device (mobilerun)" "$sig"
    json '.status == "interrupted"'
    dev=$(jq -r .device "$OUT")
    case "$dev" in prov-*) ;; *) fail "not a provisioned device: $dev" ;; esac
    jq -e -s --arg p "/v1/devices/$dev" \
        'map(select(.method == "DELETE" and .path == $p and .status == 200)) | length == 1' \
        "$WORK/prov.log" >/dev/null || fail "the device $dev was not deleted"
    err_has "terminated the temporary device $dev"
    interrupted_dir "$WORK/prov-$sig" 1
done
stop_server PROV

start_server PSLOW fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/prov-slow.json" \
    --key "$KEY" --log "$WORK/pslow.log" --arrivals "$WORK/pslow.arr" --idle-timeout $((60 * TL_SLOW))
for sig in INT TERM; do
    echo "a second SIG$sig during the slow DELETE of the wind-down exits at once"
    : >"$FAKE_LOG"
    : >"$WORK/pslow.arr"
    # (it leaves with _exit: under valgrind, thread storage is "possibly lost" by design)
    TL_VG_LEAKS=definite,indirect MOBILERUN_BASE_URL="$PSLOW_URL/v1" \
        "$TAPLOOP" run "Turn on Dark theme" --driver mobilerun \
        --provision dedicated_emulated_device --llm-url "$FAKE_URL" --out "$WORK/pslow-$sig" \
        --json >"$OUT" 2>"$ERR" &
    pid=$!
    wait_for 30 '[ "$(count "$FAKE_LOG" "Step 2 of")" -ge 1 ]'
    kill -"$sig" "$pid"
    # the first signal wound the run down as far as the DELETE, which the fake holds 30 s
    wait_for 10 '[ "$(count "$WORK/pslow.arr" "\"DELETE\"")" -ge 1 ]'
    sleep 0.3
    kill -0 "$pid" 2>/dev/null || fail "taploop did not wait for the DELETE"
    # the trajectory was flushed before the wind-down reached the device
    interrupted_dir "$WORK/pslow-$sig" 1
    interrupt "second signal during DELETE" "$sig"
    dev=$(jq -r 'select(.method == "DELETE") | .path' "$WORK/pslow.arr" | head -1)
    dev=${dev#/v1/devices/}
    err_has "exiting at once: the temporary device $dev is NOT terminated"
    [ "$(count "$ERR" "terminated the temporary device $dev")" = 0 ] ||
        fail "claimed to have terminated $dev"
done
stop_server PSLOW
stop_fake

echo "signal-to-exit times (limit $LIMIT_MS ms):$TIMES"
echo "e2e signals: all passed"
