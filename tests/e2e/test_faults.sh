#!/bin/sh
# End-to-end: the fault-injection matrix (issue 8). Every HTTP endpoint taploop talks to - the
# LLM (fake_openai.py), Mobilerun (fake_mobilerun.py) and ArmCloud (fake_armcloud.py) - meets
# each fault: connection refused, a reset, a truncated body, 429 with Retry-After, a burst of
# 5xx, a server that does not answer or stops in the middle of the body, a body over the
# response cap, invalid UTF-8 and valid JSON of the wrong shape. A transient fault (once, or a
# short burst) is survived by the bounded retries: exit 0. A persistent one ends the run with
# exit 3 (SPEC §2, infrastructure) and a message on stderr naming the endpoint and the cause,
# within a generous time bound. In every case the run's result.json holds the status and every
# trajectory line is one whole JSON object in valid UTF-8. A batch where one device's endpoint
# fails persistently finishes the other devices' jobs (exit 3 by SPEC §2/§6: some job had an
# infrastructure error) with every trajectory intact. The faults come from tests/fakes/faultio.py.
#
# Timeouts: TAPLOOP_HTTP_TIMEOUT_MS caps every HTTP attempt, so a hanging server is noticed in
# 1 s instead of the requests' own 30-120 s.
#
# Cells that end differently, and why:
# - LLM, valid JSON of the wrong shape: a reply without the API's shape (no "choices" array)
#   is the endpoint's fault: exit 3 naming it. A well-formed reply whose tool call has
#   arguments of the wrong type is the model's answer: it goes back to the model as an error
#   observation (SPEC §3, bounded retries), then the run fails: exit 1, status "failed".
# - Mobilerun and ArmCloud, invalid UTF-8 in the device's tree: the UI parsers replace invalid
#   sequences by design (real uiautomator dumps hold orphan surrogates): U+FFFD in ui-state
#   JSON, '?' in XML (agent/ui_xml.c). The run succeeds; the test checks that the replacement
#   happened and that no invalid byte reached the trajectory or the LLM. (The LLM's own reply
#   in invalid UTF-8 is refused: exit 3.)
# - Mobilerun, wrong shape: the ui-state is parsed by the agent (agent/observe.c), whose
#   message names "mobilerun", the request the tree came from (GET /devices/ID/ui-state, the
#   path under MOBILERUN_BASE_URL) and the cause.
# - ArmCloud, wrong shape: the message names the operation ("armcloud: syncCmd: ..."), as all
#   of the driver's envelope errors do (docs/armcloud.md), not the URL.
# - ArmCloud, a hanging syncCmd: after the sync timeout the driver falls back to asyncCmd (by
#   design, docs/armcloud.md), so the hang covers both for that pad.
# - Refused Mobilerun and ArmCloud: the driver cannot open the device, so the run never
#   starts: exit 3 with the message; --out still gets result.json (status error, 0 steps), an
#   empty trajectory.jsonl and report.html, and the message is said once on stderr.
. "$(dirname "$0")/lib.sh"

KEY="mr-faults-secret-$$-Zq"
AK=AKTESTfaults00000000000001
SK=SKfaultsSecret/with+chars=01
export MOBILERUN_API_KEY="$KEY" ARMCLOUD_AK="$AK" ARMCLOUD_SK="$SK" ARMCLOUD_POLL_MS=20
unset TAPLOOP_HTTP_TIMEOUT_MS ARMCLOUD_API ARMCLOUD_SYNC_TIMEOUT_MS ARMCLOUD_HTTP_TIMEOUT_MS \
    2>/dev/null || true
HANG_MS=1000
REFUSED=http://127.0.0.1:9 # the discard port: nothing listens on it here

# intact DIR STATUS: DIR's result.json says STATUS and every trajectory line is a whole JSON
# object in valid UTF-8 (no lost or half-written line)
intact() {
    [ -s "$1/result.json" ] || fail "no result.json in $1"
    jq -e --arg s "$2" '.status == $s' "$1/result.json" >/dev/null ||
        fail "$1/result.json: status is not $2: $(head -c 400 "$1/result.json")"
    t="$1/trajectory.jsonl"
    [ -f "$t" ] || fail "no $t"
    [ -s "$t" ] || return 0
    [ "$(tail -c 1 "$t" | od -An -c | tr -d ' ')" = '\n' ] || fail "$t: last line cut"
    iconv -f UTF-8 -t UTF-8 "$t" >/dev/null 2>&1 || fail "$t: not valid UTF-8"
    lines=$(wc -l <"$t")
    objs=$(jq -c 'select(type == "object" and has("step") and has("result"))' "$t" 2>/dev/null |
        wc -l) || true
    [ "$lines" = "$objs" ] || fail "$t: $lines lines but $objs step objects: $(head -c 600 "$t")"
}

# cell NAME WANT_EXIT MAX_S STATUS CMD...: run CMD (its --out is $WORK/NAME), check the exit
# code, that it ended within MAX_S seconds, and its trajectory
cell() {
    name=$1 want=$2 max=$3 status=$4
    shift 4
    echo "  $name"
    t0=$(date +%s)
    run "$want" "$@" --out "$WORK/$name" --json
    t1=$(date +%s)
    echo "    exit $want in $((t1 - t0)) s"
    [ $((t1 - t0)) -lt $((max * TL_SLOW)) ] || fail "$name took $((t1 - t0)) s (bound $max s)"
    if [ "$status" = none ]; then # failed before the run started: no step, but --out says why
        json '.status == "error" and .steps == 0'
        jq -e '.status == "error" and .steps == 0' "$WORK/$name/result.json" >/dev/null ||
            fail "$name: no result.json saying why nothing ran"
        [ -e "$WORK/$name/trajectory.jsonl" ] && [ ! -s "$WORK/$name/trajectory.jsonl" ] ||
            fail "$name: the trajectory should exist and be empty"
        [ -s "$WORK/$name/report.html" ] || fail "$name: no report.html"
        [ "$(grep -c 'connection refused' "$ERR")" = 1 ] ||
            fail "$name: the message is not said exactly once on stderr"
    else
        json ".status == \"$status\""
        intact "$WORK/$name" "$status"
    fi
}

# replaced NAME MARK: the device's tree had bytes that are not UTF-8 before each text; they
# were replaced (step 1's element index has the text MARK), and none reached a file of the
# trajectory or a request to the LLM
replaced() {
    for f in "$WORK/$1"/*.json "$WORK/$1"/*.jsonl "$WORK/$1"/*.html; do
        iconv -f UTF-8 -t UTF-8 "$f" >/dev/null 2>&1 || fail "$f: not valid UTF-8"
    done
    jq -e --arg m "$2" 'any(.elements[]; .text == $m)' "$WORK/$1/step-001.ui.json" \
        >/dev/null || fail "$1: no element \"$2\" in step 1: $(head -c 800 "$WORK/$1/step-001.ui.json")"
    ! jq -e 'select(.invalid == true)' "$WORK/llm.log" >/dev/null 2>&1 ||
        fail "a request to the LLM did not validate"
}

# names the endpoint and the cause
names() {
    err_has "$1"
    err_has "$2"
    ! grep -qF -e "$KEY" -e "$SK" "$ERR" "$OUT" || fail "a secret was printed"
}

# ---- the fake servers, all started at once --------------------------------------------------

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
        for _ in $(seq 1 300); do
            [ -s "$WORK/$name.port" ] && break
            sleep 0.05
        done
        [ -s "$WORK/$name.port" ] || fail "fake server $name did not start: $(cat "$WORK/$name.err")"
        eval "${name}_URL=http://127.0.0.1:$(cat "$WORK/$name.port")"
    done
}

# The LLM: one rule set; each LLM cell is a goal naming its fault. Driver cells get a
# two-step conversation (home, then done).
cat >"$WORK/llm.json" <<'JSON'
{"rules": [
  {"goal": "<llm-429>", "times": 1, "status": 429, "retry_after": 1},
  {"goal": "<llm-5xx>", "times": 2, "status": 503},
  {"goal": "<llm-reset1>", "times": 1, "fault": "reset"},
  {"goal": "<llm-trunc1>", "times": 1, "fault": "truncate",
   "tool": "done", "args": {"success": true, "message": "cut"}},
  {"goal": "<llm-reset>", "fault": "reset"},
  {"goal": "<llm-5xxever>", "status": 502},
  {"goal": "<llm-hang>", "fault": "hang"},
  {"goal": "<llm-stall>", "fault": "stall",
   "tool": "done", "args": {"success": true, "message": "never whole"}},
  {"goal": "<llm-huge>", "fault": "huge"},
  {"goal": "<llm-badutf8>", "fault": "badutf8",
   "tool": "done", "args": {"success": true, "message": "bad bytes"}},
  {"goal": "<llm-shape>", "raw": {"id": "x", "object": "chat.completion", "choices": "none"}},
  {"goal": "<llm-badargs>", "tool": "tap", "args": {"index": "twelve"}},
  {"step": 1, "tool": "press_key", "args": {"key": "home"}, "content": "start from home"},
  {"tool": "done", "args": {"success": true, "message": "ok"}}
]}
JSON
launch LLM fake_openai.py --script "$WORK/llm.json" --log "$WORK/llm.log" --idle-timeout $((120 * TL_SLOW)) \
    --schema "$TL_FIXTURES/openai/chat-completions-schemas.json"

# Mobilerun: a device per fault, each fault on that device's ui-state only
# ui_fault DEVICE RULE...: a fault rule on that device's ui-state
ui_fault() {
    printf '{"path": "/devices/%s/ui-state", %s},\n' "$1" "$2"
}
{
    printf '{"key": "%s", "devices": [' "$KEY"
    for d in ok ok2 429 5xx reset1 trunc1 reset 5xxever hang stall huge badutf8 shape; do
        printf '{"id": "mr-%s", "state": "ready"},' "$d"
    done
    printf '{"id": "mr-last", "state": "ready"}], "faults": [\n'
    ui_fault mr-429 '"status": 429, "retry_after": 1'
    ui_fault mr-5xx '"status": 503, "times": 2'
    ui_fault mr-reset1 '"conn": "reset"'
    ui_fault mr-trunc1 '"conn": "truncate"'
    ui_fault mr-reset '"conn": "reset", "always": true'
    ui_fault mr-5xxever '"status": 500, "always": true'
    ui_fault mr-hang '"conn": "hang", "always": true'
    ui_fault mr-stall '"conn": "stall", "always": true'
    ui_fault mr-huge '"conn": "huge", "always": true'
    ui_fault mr-badutf8 '"conn": "badutf8", "always": true'
    ui_fault mr-shape '"status": 200, "always": true, "body": {"a11y_tree": "none", "phone_state": 7}'
    printf '{"path": "/never", "times": 0}]}\n'
} >"$WORK/mr.json"
launch MR fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/mr.json" --static \
    --log "$WORK/mr.log" --idle-timeout $((120 * TL_SLOW))

# ArmCloud: a pad per fault
PADS=""
for p in OK 429 5XX RESET1 TRUNC1 RESET 5XXEVER HANG HUGE BADUTF8 SHAPE; do
    PADS="$PADS --pad AC$p"
done
DUMP='"op": "syncCmd", "match": "uiautomator dump"'
mkdir -p "$WORK/ac"
# shellcheck disable=SC2086 # PADS is a list of words
launch AC fake_armcloud.py --ak "$AK" --sk "$SK" --taploop "$TAPLOOP" --workdir "$WORK/ac" \
    --log "$WORK/ac.log" --idle-timeout $((120 * TL_SLOW)) $PADS \
    --fault '{'"$DUMP"', "pad": "AC429", "http": 429, "retry_after": 1}' \
    --fault '{'"$DUMP"', "pad": "AC5XX", "http": 503, "count": 2}' \
    --fault '{'"$DUMP"', "pad": "ACRESET1", "conn": "reset"}' \
    --fault '{'"$DUMP"', "pad": "ACRESET", "conn": "reset", "count": -1}' \
    --fault '{'"$DUMP"', "pad": "AC5XXEVER", "http": 500, "count": -1}' \
    --fault '{"op": "syncCmd", "pad": "ACHANG", "conn": "hang", "count": -1}' \
    --fault '{"op": "asyncCmd", "pad": "ACHANG", "conn": "hang", "count": -1}' \
    --fault '{'"$DUMP"', "pad": "ACTRUNC1", "conn": "truncate"}' \
    --fault '{'"$DUMP"', "pad": "ACHUGE", "conn": "huge", "count": -1}' \
    --fault '{'"$DUMP"', "pad": "ACBADUTF8", "conn": "badutf8", "count": -1}' \
    --fault '{'"$DUMP"', "pad": "ACSHAPE", "count": -1, "raw": "{\"code\": 200, \"msg\": \"success\", \"ts\": 0, \"data\": {\"taskStatus\": \"three\"}}"}'

ready_all
export MOBILERUN_BASE_URL="$MR_URL/v1" ARMCLOUD_BASE_URL="$AC_URL"
T0=$(date +%s)

# ---- the LLM --------------------------------------------------------------------------------

LLM="--llm-url $LLM_URL/v1 --settle-max 0 --max-steps 4"
CC=/v1/chat/completions
# shellcheck disable=SC2086 # LLM is a list of options
llm_cells() {
    echo "LLM (POST /v1/chat/completions)"
    cell llm-429 0 30 completed "$TAPLOOP" run "<llm-429>" $LLM
    cell llm-5xx 0 30 completed "$TAPLOOP" run "<llm-5xx>" $LLM
    cell llm-reset1 0 30 completed "$TAPLOOP" run "<llm-reset1>" $LLM
    cell llm-trunc1 0 30 completed "$TAPLOOP" run "<llm-trunc1>" $LLM
    cell llm-refused 3 30 error "$TAPLOOP" run "<llm-refused>" --llm-url "$REFUSED/v1" --max-steps 2
    names "LLM: POST $REFUSED$CC" "connection refused"
    cell llm-reset 3 30 error "$TAPLOOP" run "<llm-reset>" $LLM
    names "LLM: POST $LLM_URL$CC" "connection reset"
    cell llm-5xxever 3 40 error "$TAPLOOP" run "<llm-5xxever>" $LLM
    names "LLM: POST $LLM_URL$CC" "502 Bad Gateway"
    cell llm-hang 3 30 error env TAPLOOP_HTTP_TIMEOUT_MS=$HANG_MS "$TAPLOOP" run "<llm-hang>" $LLM
    names "LLM: POST $LLM_URL$CC" "timed out after 1 s"
    cell llm-stall 3 30 error env TAPLOOP_HTTP_TIMEOUT_MS=$HANG_MS "$TAPLOOP" run "<llm-stall>" $LLM
    names "LLM: POST $LLM_URL$CC" "timed out after 1 s"
    cell llm-huge 3 30 error "$TAPLOOP" run "<llm-huge>" $LLM
    names "LLM: POST $LLM_URL$CC" "larger than the"
    cell llm-badutf8 3 30 error "$TAPLOOP" run "<llm-badutf8>" $LLM
    names "LLM: POST $LLM_URL$CC" "the LLM's reply is invalid UTF-8 (at byte"
    cell llm-shape 3 30 error "$TAPLOOP" run "<llm-shape>" $LLM
    names "LLM: POST $LLM_URL$CC" "the LLM's reply has no \"choices\" array"
    cell llm-badargs 1 30 failed "$TAPLOOP" run "<llm-badargs>" $LLM
    json '.message | contains("no usable action at step 1 after 4 answers")'
    jq -e -s '.[0].retries == 3 and (.[0].errors | length) == 4' "$WORK/llm-badargs/trajectory.jsonl" \
        >/dev/null || fail "the refused answers are not in the trajectory"
}

# ---- Mobilerun ------------------------------------------------------------------------------

MR="--driver mobilerun"
# shellcheck disable=SC2086
mr_cells() {
    echo "Mobilerun (GET /v1/devices/{id}/ui-state)"
    for d in 429 5xx reset1 trunc1; do
        cell "mr-$d" 0 30 completed "$TAPLOOP" run "Go home" $MR --device "mr-$d" $LLM
    done
    cell mr-refused 3 30 none env MOBILERUN_BASE_URL="$REFUSED/v1" "$TAPLOOP" run "Go home" $MR \
        --device mr-ok $LLM
    names "GET $REFUSED/v1/devices/mr-ok" "connection refused"
    cell mr-reset 3 30 error "$TAPLOOP" run "Go home" $MR --device mr-reset $LLM
    names "$MR_URL/v1/devices/mr-reset/ui-state" "connection reset"
    cell mr-5xxever 3 40 error "$TAPLOOP" run "Go home" $MR --device mr-5xxever $LLM
    names "(GET /devices/mr-5xxever/ui-state)" "500 Internal Server Error"
    cell mr-hang 3 40 error env TAPLOOP_HTTP_TIMEOUT_MS=$HANG_MS "$TAPLOOP" run "Go home" $MR \
        --device mr-hang $LLM
    names "$MR_URL/v1/devices/mr-hang/ui-state" "timed out after 1 s"
    cell mr-stall 3 40 error env TAPLOOP_HTTP_TIMEOUT_MS=$HANG_MS "$TAPLOOP" run "Go home" $MR \
        --device mr-stall $LLM
    names "$MR_URL/v1/devices/mr-stall/ui-state" "timed out after 1 s"
    cell mr-huge 3 30 error "$TAPLOOP" run "Go home" $MR --device mr-huge $LLM
    names "$MR_URL/v1/devices/mr-huge/ui-state" "larger than the"
    cell mr-badutf8 0 30 completed "$TAPLOOP" run "Go home" $MR --device mr-badutf8 $LLM
    replaced mr-badutf8 "$(printf '\357\277\275\357\277\275\357\277\275')Settings" # U+FFFD x3
    cell mr-shape 3 30 error "$TAPLOOP" run "Go home" $MR --device mr-shape $LLM
    names "mobilerun: GET /devices/mr-shape/ui-state: the device's UI tree could not be read: invalid ui-state JSON" "a11y_tree must be"
}

# ---- ArmCloud -------------------------------------------------------------------------------

AC="--driver armcloud"
SYNC=/openapi/open/pad/syncCmd
# shellcheck disable=SC2086
ac_cells() {
    echo "ArmCloud (POST /openapi/open/pad/syncCmd)"
    for p in 429 5XX RESET1 TRUNC1; do
        cell "ac-$p" 0 40 completed "$TAPLOOP" run "Go home" $AC --device "AC$p" $LLM
    done
    cell ac-refused 3 30 none env ARMCLOUD_BASE_URL="$REFUSED" "$TAPLOOP" run "Go home" $AC \
        --device ACOK $LLM
    names "$REFUSED/openapi/open/pad/" "connection refused"
    cell ac-reset 3 30 error "$TAPLOOP" run "Go home" $AC --device ACRESET $LLM
    names "$AC_URL$SYNC" "connection reset"
    err_has "(the command was sent 3 times)"
    cell ac-5xxever 3 40 error "$TAPLOOP" run "Go home" $AC --device AC5XXEVER $LLM
    names "$AC_URL$SYNC" "500 Internal Server Error"
    cell ac-hang 3 40 error env TAPLOOP_HTTP_TIMEOUT_MS=$HANG_MS "$TAPLOOP" run "Go home" $AC \
        --device ACHANG $LLM
    names "$AC_URL/openapi/open/pad/" "timed out after 1 s"
    cell ac-huge 3 30 error "$TAPLOOP" run "Go home" $AC --device ACHUGE $LLM
    names "$AC_URL$SYNC" "larger than the"
    cell ac-badutf8 0 30 completed "$TAPLOOP" run "Go home" $AC --device ACBADUTF8 $LLM
    replaced ac-badutf8 "???Settings" # the XML parser's sanitised retry
    cell ac-shape 3 30 error "$TAPLOOP" run "Go home" $AC --device ACSHAPE $LLM
    names "armcloud: syncCmd" "\"taskStatus\" is not a small integer"
}

# ---- the three groups of cells run at once --------------------------------------------------

# Most of their time is spent waiting (backoff, timeouts). group NAME: run NAME_cells in the
# background, in a subshell with its own OUT and ERR, its output in $WORK/NAME.group.
group() {
    (
        trap - EXIT
        # shellcheck disable=SC2030 # each group has its own OUT and ERR
        OUT="$WORK/$1.out" ERR="$WORK/$1.stderr"
        "${1}_cells"
    ) >"$WORK/$1.group" 2>&1 &
    eval "${1}_GROUP=$!"
}
group llm
group mr
group ac
failed=""
for g in llm mr ac; do
    eval "wait \$${g}_GROUP" || failed="$failed $g"
    cat "$WORK/$g.group"
done
[ -z "$failed" ] || fail "cells failed in:$failed (above)"
jq -e -s 'map(select(.violation != null)) | length == 0' "$WORK/mr.log" >/dev/null ||
    fail "a request broke the Mobilerun reference: $(jq -c 'select(.violation != null)' "$WORK/mr.log" | head -3)"
jq -e -s 'map(select(.sig_ok == false)) | length == 0' "$WORK/ac.log" >/dev/null ||
    fail "a request to ArmCloud was badly signed"

# ---- a batch with one faulty device ---------------------------------------------------------

echo "batch: one device's endpoint fails for good, the others finish"
cat >"$WORK/batch.yaml" <<'YAML'
driver: mobilerun
devices: [mr-ok, mr-5xxever, mr-ok2, mr-last]
parallel: 2
max_steps: 4
goals:
  - Go home
YAML
t0=$(date +%s)
# shellcheck disable=SC2086
run 3 "$TAPLOOP" batch "$WORK/batch.yaml" $LLM --out "$WORK/batch" --json
t1=$(date +%s)
[ $((t1 - t0)) -lt $((60 * TL_SLOW)) ] || fail "the batch took $((t1 - t0)) s"
json 'select(.summary) | .summary.jobs == 4 and .summary.passed == 3 and .summary.errors == 1'
# shellcheck disable=SC2031 # the groups' OUT was theirs; this is the script's
jq -e -s '[.[] | select(.device == "mr-5xxever")] | length == 1 and (.[0].status == "error") and
          (.[0].message | contains("/devices/mr-5xxever/ui-state") and contains("500"))' \
    "$OUT" >/dev/null || fail "the faulty job is not an error naming its endpoint"
for d in mr-ok mr-ok2 mr-last; do
    # shellcheck disable=SC2031
    jq -e -s --arg d "$d" '[.[] | select(.device == $d)] | length == 1 and .[0].success' "$OUT" \
        >/dev/null || fail "the job of $d did not succeed"
    intact "$(echo "$WORK/batch/$d"/*)" completed
done
intact "$(echo "$WORK/batch/mr-5xxever"/*)" error

echo "e2e faults: all passed in $(($(date +%s) - T0)) s"
