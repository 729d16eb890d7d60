#!/bin/sh
# End-to-end: secrets (issue 8, item 4). Every command (run, observe, act, devices, batch, test,
# report merge; cassettes recorded and replayed; -v) runs on the sim and on the drivers with keys
# (mobilerun: all but report merge; armcloud: devices, observe, act, run; adb: devices, observe,
# act) with distinctive secrets in the environment: the LLM key, the Mobilerun key, the
# ArmCloud SK, a password inside a base URL; failure paths included (wrong keys against hostile
# fakes that echo the rejected key or authorization header back in their error bodies, an
# unreachable endpoint, a cassette miss). Then stdout, stderr and every file taploop wrote (out
# directories, cassettes, reports, dumps, screenshots, the sim phones' state, $HOME) are searched
# for each secret, for every ArmCloud signature the fake received (fake_armcloud.py --sig-log)
# and for a password typed into a password field (by the model in runs, batches and a suite
# goal case; by `act type`; by a suite's `type ... into` step), which must also never reach
# the LLM (the fake's log of request bodies). The fakes' own logs, work directories and this
# script's inputs are the only files not searched.
. "$(dirname "$0")/lib.sh"

PW=hunter2-PW-9d1c
OPENAI_KEY=sk-SECRET-openai-7f3a91c2e4
MR_KEY=mr-SECRET-mobilerun-5b8e2d47
AC_AK=AKSECRETak00000000000042
AC_SK='SKSECRET/armcloud+sk=9f1eC0re'
URL_PW=urlpass-SECRET-55aa
WRONG_OPENAI=sk-SECRET-wrong-0b9c8d1e
WRONG_MR=mr-SECRET-wrong-3e4f6a7b
WRONG_SK='SKSECRET-wrong/sk+7a7aBBcc'
# what must appear nowhere taploop writes (each also searched by its distinctive core, in case
# a writer escapes the punctuation around it)
SECRETS="$PW $OPENAI_KEY $MR_KEY $AC_SK $URL_PW $WRONG_OPENAI $WRONG_MR $WRONG_SK
7f3a91c2e4 5b8e2d47 9f1eC0re 0b9c8d1e 3e4f6a7b 7a7aBBcc PW-9d1c"

O="$WORK/o"  # taploop's cwd and every output it is asked for: all searched
IN="$WORK/in"  # this script's inputs (the LLM script holds the password): not searched
F="$WORK/f"  # the fakes' logs and work directories: not searched
mkdir -p "$O" "$IN" "$F" "$WORK/home"
export HOME="$WORK/home"
export OPENAI_API_KEY="$OPENAI_KEY" MOBILERUN_API_KEY="$MR_KEY" ARMCLOUD_AK="$AC_AK" \
    ARMCLOUD_SK="$AC_SK" ARMCLOUD_POLL_MS=20

# tl WANT ARGS...: run taploop in $O with the secrets in its environment, keep its stdout and
# stderr under $O (searched later), and check the exit code
N=0
tl() {
    want=$1
    shift
    N=$((N + 1))
    set +e
    (cd "$O" && "$TAPLOOP" "$@") >"$O/cmd-$N.out" 2>"$O/cmd-$N.err"
    got=$?
    set -e
    cp "$O/cmd-$N.out" "$OUT"
    cp "$O/cmd-$N.err" "$ERR"
    printf '%s\t%s\t%s\n' "$N" "$want" "$*" >>"$F/commands.tsv"
    [ "$got" = "$want" ] || fail "exit $got, wanted $want: taploop $*"
}

# ---- the fakes ---------------------------------------------------------------------------

# The model: opens Notes, types the password into field [4] (the password field), and says the
# password in its reasoning and in done's message (a careless model).
cat >"$IN/llm.json" <<EOF
{"rules": [
  {"step": 1, "tool": "start_app", "args": {"package": "com.example.notes"}},
  {"step": 2, "app": "com.example.notes", "matches": "password [(]",
   "content": "I will type the password $PW into the Password field.",
   "tool": "type", "args": {"index": 4, "text": "$PW"}},
  {"app": "com.example.notes",
   "content": "The password field holds $PW now.",
   "tool": "done", "args": {"success": true, "message": "Typed $PW into the password field."}},
  {"tool": "done", "args": {"success": false, "message": "not on the sign-in form"}}
]}
EOF
: >"$F/llm.log"
LLM_PID=""
"$TL_PYTHON" "$TL_TESTS/fakes/fake_openai.py" --script "$IN/llm.json" --port-file "$F/llm.port" \
    --log "$F/llm.log" --require-key "$OPENAI_KEY" --echo-key --idle-timeout $((120 * TL_SLOW)) \
    --schema "$TL_FIXTURES/openai/chat-completions-schemas.json" 2>"$F/llm.err" &
SERVER_PIDS="$SERVER_PIDS $!"
# start_f NAME SCRIPT ARGS...: start_server with the port file under $F
start_f() {
    name=$1
    script=$2
    shift 2
    rm -f "$F/$name.port"
    "$TL_PYTHON" "$TL_TESTS/fakes/$script" --port-file "$F/$name.port" "$@" 2>"$F/$name.err" &
    SERVER_PIDS="$SERVER_PIDS $!"
}
printf '%s\n' '{"devices": [{"id": "dev-1", "name": "Pixel 7", "state": "ready"}],
  "provision": {"ready_after_ms": 100}}' >"$IN/mr.json"
start_f MR fake_mobilerun.py --taploop "$TAPLOOP" --config "$IN/mr.json" --key "$MR_KEY" \
    --log "$F/mr.log" --echo-key --idle-timeout $((120 * TL_SLOW))
mkdir -p "$F/ac" "$F/adb"
start_f AC fake_armcloud.py --ak "$AC_AK" --sk "$AC_SK" --taploop "$TAPLOOP" --workdir "$F/ac" \
    --log "$F/ac.log" --sig-log "$F/ac.sigs" --echo-auth --idle-timeout $((120 * TL_SLOW))
start_f ADB fake_adb.py --taploop "$TAPLOOP" --workdir "$F/adb" --log "$F/adb.log" \
    --idle-timeout $((120 * TL_SLOW))
for name in llm MR AC ADB; do
    for _ in $(seq 1 200); do
        [ -s "$F/$name.port" ] && break
        sleep 0.05
    done
    [ -s "$F/$name.port" ] || fail "fake $name did not start: $(cat "$F/$name.err")"
done
LLM="http://127.0.0.1:$(cat "$F/llm.port")/v1"
MR_URL="http://127.0.0.1:$(cat "$F/MR.port")/v1"
AC_URL="http://127.0.0.1:$(cat "$F/AC.port")"
export MOBILERUN_BASE_URL="$MR_URL" ARMCLOUD_BASE_URL="$AC_URL" \
    ADB_SERVER_SOCKET="tcp:127.0.0.1:$(cat "$F/ADB.port")"

# typed_ok DIR: the run's trajectory has the password typed (masked) and ok
typed_ok() {
    jq -e -s 'any(.[]; .action.action == "type" and .result == "ok")' "$1/trajectory.jsonl" \
        >/dev/null || fail "$1: the password was not typed: $(head -c 1500 "$1/trajectory.jsonl")"
}

# ---- sim ---------------------------------------------------------------------------------

echo "sim: devices, observe, act type into the password field, observe again"
tl 0 devices
tl 0 devices --json -v
tl 0 observe --json -v --dump "$O/sim-dump.json" --screenshot "$O/sim-shot.png"
tl 0 act start_app com.example.notes -v
tl 0 act type "$PW" --index 4 --json -v
json '.ok == true'
# the sim remembers the field between commands as a salted hash and a length, not the text
jq -e '.fields.password | (.sha256 | length) == 64 and .chars == 15 and (has("value") | not)' \
    "$XDG_STATE_HOME/taploop/sim/sim.json" >/dev/null || fail "the sim's state of the field"
tl 0 observe -v
has '[4] EditText "•••" hint="Password"'
tl 0 observe --json --dump "$O/sim-dump-pw.json" --screenshot "$O/sim-shot-pw.png"
tl 0 act type "$PW" --id password -v
tl 0 act tap --text "Sign in" -v
tl 0 observe -v
has "Wrong email or password"
tl 0 act reset

echo "sim: a run typing the password, recorded, -v, --vision; replayed; a cassette miss"
tl 0 run "Sign in to Notes" --llm-url "$LLM" --out "$O/run-sim" --record "$O/sim.cassette" \
    --json -v
json '.success == true and .steps == 3'
typed_ok "$O/run-sim"
tl 0 run "Sign in to Notes" --llm-url "$LLM" --out "$O/run-sim-vision" --vision --json -v
tl 0 run "Sign in to Notes" --replay "$O/sim.cassette" --out "$O/replay-sim" --json -v
typed_ok "$O/replay-sim"
tl 3 run "Sign in to Notes now" --replay "$O/sim.cassette" --out "$O/miss-sim" --json -v
tl 0 run "Sign in to Notes" --llm-url "$LLM" --json -v # the default out dir, under $O

echo "sim: a batch of 3 phones (cassettes recorded, JUnit), report merge"
printf 'devices: [sim:a, sim:b, sim:c]\nparallel: 3\ngoals: [Sign in to Notes]\n' \
    >"$IN/batch.yaml"
tl 0 batch "$IN/batch.yaml" --llm-url "$LLM" --out "$O/batch-sim" --record "$O/batch-cass" \
    --report "$O/batch-sim.xml" --json -v
cp "$O/cmd-$N.out" "$O/batch-sim.jsonl"
tl 0 batch "$IN/batch.yaml" --replay "$O/batch-cass" --out "$O/batch-sim-replay" --json
tl 0 report merge "$O/batch-sim.jsonl" "$O/batch-sim.xml" --json --report "$O/merged.xml"

echo "sim: a suite with a type-into-password step and a goal case (recorded, replayed)"
cat >"$IN/suite.yaml" <<EOF
name: secrets
driver: sim
device: sim
cases:
  - name: type into the password field
    steps:
      - launch: com.example.notes
      - type: {text: demo@example.com, into: {id: email}}
      - type: {text: $PW, into: {id: password}}
      - assert_visible: {id: password}
      - tap: {text: Sign in}
      - wait_for: {text: Wrong email or password, timeout_ms: 3000}
  - name: a failing step shows the candidates
    steps:
      - launch: com.example.notes
      - type: {text: $PW, into: {id: password}}
      - assert_visible: {text: Welcome}
  - name: sign in by goal
    goal: Sign in to Notes
    max_steps: 5
EOF
tl 1 test "$IN/suite.yaml" --llm-url "$LLM" --out "$O/suite" --record "$O/suite-cass" \
    --report "$O/suite.xml" --json -v
tl 1 test "$IN/suite.yaml" --replay "$O/suite-cass" --out "$O/suite-replay" --json

echo "the LLM: a wrong key (the server echoes it), an unreachable URL with a password in it"
OPENAI_API_KEY="$WRONG_OPENAI" tl 3 run "Sign in to Notes" --llm-url "$LLM" --out "$O/badllm" \
    --json -v
err_has "401 Unauthorized: Incorrect API key provided: <redacted>; check OPENAI_API_KEY"
OPENAI_API_KEY="$WRONG_OPENAI" tl 3 batch "$IN/batch.yaml" --llm-url "$LLM" \
    --out "$O/badllm-batch" --json -v
OPENAI_API_KEY="$WRONG_OPENAI" tl 3 test "$IN/suite.yaml" --only "by goal" --llm-url "$LLM" \
    --out "$O/badllm-suite" --json -v
tl 3 run "Sign in to Notes" --llm-url "http://me:$URL_PW@127.0.0.1:9/v1" --out "$O/unreach" \
    --json -v

# ---- mobilerun ---------------------------------------------------------------------------

echo "mobilerun: devices, observe, act type, run, --provision, suite"
tl 0 devices --driver mobilerun -v
tl 0 devices --driver mobilerun --json
tl 0 observe --driver mobilerun --json -v --dump "$O/mr-dump.json" --screenshot "$O/mr-shot.png"
tl 0 act start_app com.example.notes --driver mobilerun -v
tl 0 act type "$PW" --index 4 --driver mobilerun --json -v
tl 0 observe --driver mobilerun -v --dump "$O/mr-dump-pw.json"
tl 0 run "Sign in to Notes" --driver mobilerun --llm-url "$LLM" --out "$O/run-mr" \
    --record "$O/mr.cassette" --json -v
typed_ok "$O/run-mr"
tl 0 run "Sign in to Notes" --driver mobilerun --provision dedicated_emulated_device \
    --llm-url "$LLM" --out "$O/run-mr-prov" --json -v
err_has "terminated the temporary device"
tl 1 test "$IN/suite.yaml" --driver mobilerun --device dev-1 --llm-url "$LLM" \
    --out "$O/suite-mr" --report "$O/suite-mr.xml" --json -v

echo "mobilerun: a wrong key (the server echoes it), in a batch too; a base URL with a password"
MOBILERUN_API_KEY="$WRONG_MR" tl 3 devices --driver mobilerun -v
err_has "check MOBILERUN_API_KEY"
err_has "server says: Unauthorized: Invalid API key: <redacted>"
MOBILERUN_API_KEY="$WRONG_MR" tl 3 observe --driver mobilerun --json -v
MOBILERUN_API_KEY="$WRONG_MR" tl 3 act type "$PW" --driver mobilerun -v
MOBILERUN_API_KEY="$WRONG_MR" tl 3 run "Sign in to Notes" --driver mobilerun --llm-url "$LLM" \
    --out "$O/badmr" --json -v
printf 'driver: mobilerun\ndevices: all\ngoals: [Sign in to Notes]\n' >"$IN/mr-batch.yaml"
MOBILERUN_API_KEY="$WRONG_MR" tl 3 batch "$IN/mr-batch.yaml" --llm-url "$LLM" \
    --out "$O/badmr-batch" --json -v
MOBILERUN_BASE_URL="http://me:$URL_PW@127.0.0.1:9/v1" tl 3 devices --driver mobilerun -v

# ---- armcloud ----------------------------------------------------------------------------

echo "armcloud: devices, observe, act type, run"
tl 0 devices --driver armcloud -v
tl 0 devices --driver armcloud --json
tl 0 observe --driver armcloud --json -v --dump "$O/ac-dump.xml" --screenshot "$O/ac-shot.png"
tl 0 act start_app com.example.notes --driver armcloud -v
tl 0 observe --driver armcloud -v
tl 0 act type "$PW" --id password --driver armcloud --json -v
tl 0 observe --driver armcloud -v --dump "$O/ac-dump-pw.xml"
tl 0 act reset --driver sim
tl 0 run "Sign in to Notes" --driver armcloud --llm-url "$LLM" --out "$O/run-ac" \
    --record "$O/ac.cassette" --json -v

echo "armcloud: a wrong SK (the server echoes the authorization header)"
ARMCLOUD_SK="$WRONG_SK" tl 3 devices --driver armcloud -v
err_has 'error 100004 (Invalid key): "Invalid key: signature <redacted> in HMAC-SHA256'
ARMCLOUD_SK="$WRONG_SK" tl 3 observe --driver armcloud --json -v
ARMCLOUD_SK="$WRONG_SK" tl 3 act type "$PW" --driver armcloud -v
ARMCLOUD_SK="$WRONG_SK" tl 3 run "Sign in to Notes" --driver armcloud --llm-url "$LLM" \
    --out "$O/badac" --json -v
ARMCLOUD_BASE_URL="http://me:$URL_PW@127.0.0.1:9" tl 2 devices --driver armcloud -v

# ---- adb ---------------------------------------------------------------------------------

echo "adb (no keys of its own; the others are in its environment): devices, observe, act type"
tl 0 devices --driver adb -v
tl 0 observe --driver adb --json -v --dump "$O/adb-dump.xml"
tl 0 act start_app com.example.notes --driver adb -v
tl 0 act type "$PW" --id password --driver adb --json -v
tl 0 observe --driver adb -v

# ---- the search --------------------------------------------------------------------------

# ArmCloud: every signature and authorization value the fake received (wrong SKs' included)
[ -s "$F/ac.sigs" ] || fail "the fake ArmCloud saw no signature"
SIGS=$(jq -r '.signature // empty' "$F/ac.sigs" | sort -u)
[ "$(printf '%s\n' "$SIGS" | wc -l)" -ge 20 ] || fail "too few signatures to search for"

# leaks DIR...: print "FILE: SECRET" for every secret or signature found under DIR...
# The one exception, checked apart below: a cassette keeps the model's answers verbatim, and the
# model's answer holds the text it typed into the password field.
leaks() {
    for s in $SECRETS $SIGS; do
        case "$s" in *PW-9d1c) ex="--exclude=*.cassette" ;; *) ex="--exclude=/" ;; esac
        grep -rlaF "$ex" -- "$s" "$@" 2>/dev/null | sed "s|\$|: $s|" || true
    done
}

# the search can fail: a canary directory holding each secret in a file is found wholly
mkdir -p "$WORK/canary"
i=0
for s in $SECRETS $SIGS; do
    i=$((i + 1))
    printf 'x%sy\n' "$s" >"$WORK/canary/$i"
done
[ "$(leaks "$WORK/canary" | wc -l)" -ge "$i" ] || fail "the search misses planted secrets"
# ... and it finds the real ones where they are meant to be: the script, the fakes' records
leaks "$IN" | grep -qF ": $PW" || fail "the search does not see the password in the script"
leaks "$F/ac.sigs" | grep -qF "$(printf '%s\n' "$SIGS" | head -1)" ||
    fail "the search does not see the signatures in the fake's record"
grep -qF "\"text\": \"$PW\"" "$F/mr.log" || fail "the password never reached the Mobilerun phone"

# cassettes: the password is in no recorded request, and nowhere but in the model's answers
cassettes=$(find "$O" -name '*.cassette' | sort)
[ "$(printf '%s\n' "$cassettes" | wc -l)" -ge 7 ] || fail "too few cassettes: $cassettes"
for c in $cassettes; do
    grep -v '^#' "$c" | jq -e -s --arg pw "PW-9d1c" 'length > 0 and
        all(.[]; (del(.response) | tostring | contains($pw)) | not)' >/dev/null ||
        fail "the password is in $c outside the model's answers"
done
grep -qF -- "$PW" $cassettes || fail "the model's answers no longer hold the password: \
    the exception in leaks() can go"

# the LLM never saw the password (nor a key: the fake redacts the header it logs)
[ "$(jq -c 'select(.invalid == true)' "$F/llm.log" | wc -l)" = 0 ] ||
    fail "an LLM request did not validate"
[ "$(wc -l <"$F/llm.log")" -ge 30 ] || fail "too few LLM requests"
! grep -qF -- "$PW" "$F/llm.log" || fail "the password reached the LLM: $(grep -oF -- \
    "$PW" "$F/llm.log" | head -3)"
! grep -qF -- "PW-9d1c" "$F/llm.log" || fail "part of the password reached the LLM"

# every file taploop wrote: everything under $O (outputs, stdout/stderr of every command, its
# cwd), the sim phones' state ($XDG_STATE_HOME) and $HOME
files=$(find "$O" "$XDG_STATE_HOME" "$HOME" -type f | wc -l)
[ -d "$XDG_STATE_HOME/taploop" ] || fail "no sim state was written"
[ -n "$(ls "$O" | grep -v '^cmd-' | head -1)" ] || fail "no outputs"
[ -d "$O/taploop-runs" ] || fail "the default out dir was not used"
found=$(leaks "$O" "$XDG_STATE_HOME" "$HOME")
if [ -n "$found" ]; then
    printf '%s\n' "$found" | head -40 >&2
    fail "$(printf '%s\n' "$found" | wc -l) secrets found in files taploop wrote (above)"
fi
# the AK is an access key *id*, not a secret: where it shows is only reported
ak=$(grep -rlaF -- "$AC_AK" "$O" "$XDG_STATE_HOME" "$HOME" | wc -l)
echo "searched $files files written by $N commands ($(printf '%s\n' $SECRETS | wc -l) secrets," \
    "$(printf '%s\n' "$SIGS" | wc -l) ArmCloud signatures); the AK shows in $ak of them"
echo "e2e secrets: all passed"
