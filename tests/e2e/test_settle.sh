#!/bin/sh
# End-to-end: settle detection with the built binary. `taploop run` on the sim model
# tests/fixtures/sim/loading.json (screens that load in 150 ms, or change every 100 ms for 1 s)
# with the scripted OpenAI-compatible server: the step after a delayed transition observes the
# content, a short --settle-max records that the screen had not settled, --settle-max 0 does
# not wait; the options' usage errors and help; and timed transitions across observe/act
# invocations (wall-clock time in the saved phone). Only lower bounds of time are checked.
. "$(dirname "$0")/lib.sh"

MODEL="$TL_FIXTURES/sim/loading.json"
step1() { jq -e -s ".[0] | $1" "$2/trajectory.jsonl" >/dev/null || fail "step 1: $1 does not hold: $(head -c 1500 "$2/trajectory.jsonl")"; }

echo "help and usage errors"
run 0 "$TAPLOOP" run --help
has "--settle-max MS"
has "--settle-window MS"
run 2 "$TAPLOOP" run "x" --settle-max soon
err_has "--settle-max takes milliseconds (0..60000; 0: do not wait), not 'soon'"
run 2 "$TAPLOOP" run "x" --settle-max -5
err_has "--settle-max takes milliseconds"
run 2 "$TAPLOOP" run "x" --settle-window 10001
err_has "--settle-window takes milliseconds (0..10000), not '10001'"
run 2 "$TAPLOOP" run "x" --settle-window 5000
err_has "the settle window (5000 ms) is longer than the settle bound (3000 ms, the default)"
run 2 "$TAPLOOP" run "x" --settle-max 100 --settle-window 150
err_has "the settle window (150 ms) is longer than the settle bound (100 ms)"

echo "a delayed transition is waited out"
cat >"$WORK/inbox.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.example.mail"}},
  {"tool": "tap", "tap_text": "Inbox"},
  {"tool": "done", "args": {"success": true, "message": "The inbox is open."}}
]}
EOF
start_fake "$WORK/inbox.json"
run 0 "$TAPLOOP" run "Open the inbox" --llm-url "$FAKE_URL" --device "$MODEL" --out "$WORK/inbox" \
    --json
trajectory_ok "$WORK/inbox"
jq -e -s '.[1].timings.settled == true and .[1].timings.settle_ms >= 150' \
    "$WORK/inbox/trajectory.jsonl" >/dev/null || fail "step 2 timings: $(sed -n 2p "$WORK/inbox/trajectory.jsonl")"
jq -e '[.elements[] | select(.text == "Alice Martin")] | length == 1' \
    "$WORK/inbox/step-003.ui.json" >/dev/null || fail "step 3 does not show the inbox"
jq -e '[.elements[] | select(.text | startswith("Loading"))] | length == 0' \
    "$WORK/inbox/step-003.ui.json" >/dev/null || fail "step 3 shows the spinner"
requests_valid
stop_fake

echo "a short bound: the screen has not settled"
cat >"$WORK/sync.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.example.mail", "activity": ".SyncActivity"}},
  {"tool": "done", "args": {"success": true, "message": "Syncing."}}
]}
EOF
start_fake "$WORK/sync.json"
run 0 "$TAPLOOP" run "Sync the mail" --llm-url "$FAKE_URL" --device "$MODEL" --out "$WORK/short" \
    --settle-max 300
step1 '.timings.settled == false and .timings.settle_ms >= 300' "$WORK/short"
err_has "step 1: the screen was still changing after"
stop_fake

echo "the default bound waits until the sync is done"
start_fake "$WORK/sync.json"
run 0 "$TAPLOOP" run "Sync the mail" --llm-url "$FAKE_URL" --device "$MODEL" --out "$WORK/long"
step1 '.timings.settled == true and .timings.settle_ms >= 1000' "$WORK/long"
jq -e '[.elements[] | select(.text == "All folders synced")] | length == 1' \
    "$WORK/long/step-002.ui.json" >/dev/null || fail "step 2 does not show the end of the sync"
stop_fake

echo "--settle-max 0 does not wait"
start_fake "$WORK/sync.json"
run 0 "$TAPLOOP" run "Sync the mail" --llm-url "$FAKE_URL" --device "$MODEL" --out "$WORK/none" \
    --settle-max 0
step1 '(.timings | has("settled") | not) and .timings.settle_ms >= 0' "$WORK/none"
stop_fake

echo "observe/act: the saved phone keeps time between invocations"
ms() { "$TL_PYTHON" -c 'import time; print(int(time.time() * 1000))'; }
run 0 "$TAPLOOP" act start_app com.example.mail --activity .ArchiveActivity --device "$MODEL"
acted=$(ms)
run 0 "$TAPLOOP" observe --device "$MODEL"
# observed less than 500 ms after the action started: still the spinner (slower: not checked)
if [ "$(ms)" -lt $((acted + 400)) ]; then has '"Loading…"'; fi
"$TL_PYTHON" -c 'import time; time.sleep(0.55)'
run 0 "$TAPLOOP" observe --device "$MODEL"
has '"Invoice 2023-11"'
hasnt 'Loading'

echo "e2e settle: all passed"
