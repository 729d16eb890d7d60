#!/bin/sh
# End-to-end: what a run does with answers it cannot use and an endpoint that misbehaves:
# JSON-in-content answers, refused answers sent back as error observations (at most 3 per
# step), 429 with Retry-After, bursts of 500, an unreachable endpoint, a rejected key (never
# printed), stuck detection, and SIGINT during a slow reply (exit 130, trajectory intact).
. "$(dirname "$0")/lib.sh"

echo "actions as JSON in the content (bare and fenced)"
cat >"$WORK/json.json" <<'JSON'
{"replies": [
  {"content": "{\"action\": \"start_app\", \"package\": \"com.android.settings\"}"},
  {"content": "Settings is open.\n```json\n{\"action\": \"done\", \"success\": true, \"message\": \"Settings is open.\"}\n```"}
]}
JSON
start_fake "$WORK/json.json"
run 0 "$TAPLOOP" run "Open Settings" --llm-url "$FAKE_URL" --no-trace --json
json '.success == true and .steps == 2'
requests_valid
stop_fake

echo "unusable answers go back to the model, then it recovers"
cat >"$WORK/refused.json" <<'JSON'
{"replies": [
  {"content": "I think I should open the settings."},
  {"tool": "click", "args": {"index": 1}},
  {"tool": "tap", "args": {"index": 99}},
  {"tool": "tap", "args": {"index": 1}},
  {"tool": "done", "args": {"success": true, "message": "Opened."}}
]}
JSON
start_fake "$WORK/refused.json"
run 0 "$TAPLOOP" run "Open Settings" --llm-url "$FAKE_URL" --out "$WORK/refused" --json
json '.success == true and .steps == 2'
jq -e -s '.[0].retries == 3 and (.[0].errors | length) == 3 and
          (.[0].errors[0] | contains("no tool call")) and (.[0].errors[1] | contains("click")) and
          (.[0].errors[2] | contains("not in the current listing"))' \
    "$WORK/refused/trajectory.jsonl" >/dev/null || fail "refusals not recorded"
# the error observations reached the model: the 4th request carries three of them
jq -e -s '.[3].request.messages | map(select(.role == "tool" or .role == "user")) |
          map(.content | tostring) | join("\n") | contains("not in the current listing")' \
    "$FAKE_LOG" >/dev/null || fail "the model was not told"
requests_valid
stop_fake

echo "four unusable answers in a step fail the run"
cat >"$WORK/hopeless.json" <<'JSON'
{"replies": [{"content": "hmm"}, {"content": "hmm"}, {"content": "hmm"}, {"content": "hmm"}]}
JSON
start_fake "$WORK/hopeless.json"
run 1 "$TAPLOOP" run "Open Settings" --llm-url "$FAKE_URL" --no-trace --json
json '.status == "failed" and (.message | contains("no usable action at step 1 after 4 answers"))'
stop_fake

echo "429 with Retry-After and a burst of 500s are survived"
cat >"$WORK/flaky.json" <<'JSON'
{"replies": [
  {"status": 429, "retry_after": 1},
  {"status": 500}, {"status": 503},
  {"tool": "done", "args": {"success": true, "message": "ok"}}
]}
JSON
start_fake "$WORK/flaky.json"
run 0 "$TAPLOOP" run "Say ok" --llm-url "$FAKE_URL" --no-trace --json
json '.success == true'
stop_fake

echo "an unreachable endpoint is an infrastructure error naming it"
run 3 "$TAPLOOP" run "Say ok" --llm-url "http://127.0.0.1:9/v1" --no-trace --json
json '.status == "error"'
err_has "LLM: POST http://127.0.0.1:9/v1/chat/completions"

echo "a rejected key: exit 3, never printed"
KEY="sk-test-WRONG-KEY-3e1d07aa"
cat >"$WORK/ok.json" <<'JSON'
{"replies": [{"tool": "done", "args": {"success": true, "message": "ok"}}]}
JSON
start_fake "$WORK/ok.json" --require-key "sk-test-the-right-one"
OPENAI_API_KEY="$KEY" run 3 "$TAPLOOP" run "Say ok" --llm-url "$FAKE_URL" --out "$WORK/key" --json
json '.status == "error" and (.message | contains("OPENAI_API_KEY"))'
err_has "check OPENAI_API_KEY"
! grep -qF "$KEY" "$OUT" "$ERR" || fail "the key was printed"
! grep -rqF "$KEY" "$WORK/key" || fail "the key reached the trajectory"
stop_fake

echo "stuck: the same action on the same screen"
cat >"$WORK/stuck.json" <<'JSON'
{"replies": [
  {"tool": "press_key", "args": {"key": "back"}}, {"tool": "press_key", "args": {"key": "back"}},
  {"tool": "press_key", "args": {"key": "back"}}, {"tool": "press_key", "args": {"key": "back"}},
  {"tool": "press_key", "args": {"key": "back"}}, {"tool": "press_key", "args": {"key": "back"}}
]}
JSON
start_fake "$WORK/stuck.json"
run 1 "$TAPLOOP" run "Open the Camera" --llm-url "$FAKE_URL" --no-trace --json
json '.status == "failed" and .steps == 5 and (.message | startswith("stuck:"))'
jq -e -s '.[3].request.messages[1].content | contains("changed nothing")' "$FAKE_LOG" \
    >/dev/null || fail "no hint before giving up"
stop_fake

echo "SIGINT during a slow reply: interrupted, exit 130, trajectory intact"
cat >"$WORK/slow.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "done", "args": {"success": true, "message": "late"}, "delay_ms": 30000}
]}
JSON
start_fake "$WORK/slow.json"
"$TAPLOOP" run "Open Settings" --llm-url "$FAKE_URL" --out "$WORK/slow" --json >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 600); do
    [ "$(wc -l <"$FAKE_LOG")" -ge 2 ] && break
    sleep 0.05
done
[ "$(wc -l <"$FAKE_LOG")" -ge 2 ] || fail "the second request never came"
t0=$(date +%s%N)
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
t1=$(date +%s%N)
[ "$code" = 130 ] || fail "exit $code after SIGINT, wanted 130"
[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "took $(((t1 - t0) / 1000000)) ms to stop"
# step 2 was cut short before the model answered: the result counts the one step recorded
json '.status == "interrupted" and .steps == 1 and (.message | contains("step 2"))'
[ "$(wc -l <"$WORK/slow/trajectory.jsonl")" -eq 1 ] || fail "the trajectory does not hold 1 step"
trajectory_ok "$WORK/slow"
json '.status == "interrupted"' "$WORK/slow/result.json"
stop_fake

echo "e2e run faults: all passed"
