#!/bin/sh
# End-to-end: `taploop run` on the sim phone against the scripted OpenAI-compatible server:
# the Dark theme, add-contact and Android-version (structured output) goals, and an impossible
# goal that runs out of steps. Checks the result object, the exit codes, the trajectory and
# that every request validated against the official CreateChatCompletionRequest schema.
. "$(dirname "$0")/lib.sh"

echo "Dark theme"
cat >"$WORK/dark.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}, "content": "Settings has the Dark theme switch."},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display", "content": "Display is further down."},
  {"tool": "tap", "tap_text": "Display", "content": "Dark theme lives under Display."},
  {"tool": "tap", "tap_text": "Dark theme", "content": "Turn the switch on."},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}, "content": "The switch shows checked=true."}
]}
EOF
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --out "$WORK/dark" --json
json '.success == true and .status == "completed" and .message == "Dark theme is on." and
      .output == null and .steps >= 5 and .device == "sim" and .driver == "sim" and
      .trajectory == "'"$WORK/dark"'" and .usage.prompt_tokens > 0 and .duration_ms >= 0'
err_has "step 1/30: start_app com.android.settings -> ok"
err_has 'Switch "Dark theme" checked=false clickable (540,924) -> ok'
trajectory_ok "$WORK/dark"
cmp -s "$OUT" "$WORK/dark/result.json" || fail "stdout and result.json differ"
steps=$(jq -r .steps "$OUT")
[ "$(wc -l <"$WORK/dark/trajectory.jsonl")" = "$steps" ] || fail "one trajectory line per step"
jq -e -s '.[-1].action.action == "done" and .[0].screenshot == "step-001.png"' \
    "$WORK/dark/trajectory.jsonl" >/dev/null || fail "trajectory content"
[ -s "$WORK/dark/step-001.png" ] && [ -s "$WORK/dark/step-001.ui.json" ] || fail "step files"
last=$(printf 'step-%03d.ui.json' "$steps")
jq -e '[.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length == 1' \
    "$WORK/dark/$last" >/dev/null || fail "the last screen does not show Dark theme checked"
grep -q "Dark theme lives under Display" "$WORK/dark/report.html" || fail "report lacks reasoning"
requests_valid
stop_fake

echo "add a contact"
cat >"$WORK/contact.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.contacts"}},
  {"tool": "tap", "tap_text": "Create contact"},
  {"tool": "type", "args": {"index": 3, "text": "Tom"}},
  {"tool": "type", "args": {"index": 5, "text": "13111111111"}},
  {"tool": "tap", "tap_text": "Save"},
  {"tool": "done", "args": {"success": true, "message": "Tom was added."}}
]}
EOF
start_fake "$WORK/contact.json"
run 0 "$TAPLOOP" run "Open Contacts and add Tom with phone 13111111111" --llm-url "$FAKE_URL" \
    --out "$WORK/contact" --json
json '.success == true and .steps == 6'
jq -e '[.elements[] | select(.text == "Tom")] | length == 1' "$WORK/contact/step-006.ui.json" \
    >/dev/null || fail "Tom is not in the contact list"
jq -e '[.elements[] | select(.text == "13111111111")] | length == 1' \
    "$WORK/contact/step-006.ui.json" >/dev/null || fail "the phone number is not listed"
requests_valid
stop_fake

echo "Android version, with an output schema (the first output is refused)"
cat >"$WORK/schema.json" <<'EOF'
{"type": "object", "properties": {"android_version": {"type": "string"}},
 "required": ["android_version"], "additionalProperties": false}
EOF
cat >"$WORK/version.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "About phone"},
  {"tool": "tap", "tap_text": "About phone"},
  {"tool": "done", "args": {"success": true, "message": "Android 14", "output": {"android_version": 14}}},
  {"tool": "done", "args": {"success": true, "message": "Android 14", "output": {"android_version": "14"}}}
]}
EOF
start_fake "$WORK/version.json"
run 0 "$TAPLOOP" run "What Android version is this phone running?" --llm-url "$FAKE_URL" \
    --output-schema "$WORK/schema.json" --out "$WORK/version" --json
json '.success == true and .output == {"android_version": "14"}'
err_has "does not match the output schema"
jq -e -s '.[-1].retries == 1 and (.[-1].errors[0] | contains("android_version"))' \
    "$WORK/version/trajectory.jsonl" >/dev/null || fail "the refused output is not recorded"
grep -q 'android_version' "$FAKE_LOG" || fail "the schema was not shown to the model"
requests_valid
stop_fake

echo "scroll by the index of a row's text scrolls its list; outside any list it is refused"
cat >"$WORK/scroll.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down", "index": 1}, "content": "[1] is the title."},
  {"tool": "scroll", "args": {"direction": "down", "index": 3}, "content": "[3] is a row's text."},
  {"tool": "done", "args": {"success": true, "message": "scrolled"}}
]}
EOF
start_fake "$WORK/scroll.json"
run 0 "$TAPLOOP" run "Scroll the settings" --llm-url "$FAKE_URL" --out "$WORK/scroll" --json
err_has 'answer refused: [1] TextView "Settings" is not scrollable and is not inside a scrollable element'
err_has "scroll down [3] in [2] RecyclerView id=list scrollable"
jq -e -s '.[1].retries == 1 and .[1].result == "ok" and
          (.[1].errors[0] | contains("is not scrollable"))' \
    "$WORK/scroll/trajectory.jsonl" >/dev/null || fail "the refused scroll is not recorded"
grep -q 'is not inside a scrollable element' "$FAKE_LOG" || fail "the model was not told"
requests_valid
stop_fake

echo "an impossible goal runs out of steps"
cat >"$WORK/camera.json" <<'EOF'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}, "content": "Maybe Settings has it."},
  {"tool": "scroll", "args": {"direction": "down"}},
  {"tool": "scroll", "args": {"direction": "up"}}
]}
EOF
start_fake "$WORK/camera.json"
run 1 "$TAPLOOP" run "Take a photo with the Camera app" --llm-url "$FAKE_URL" --max-steps 3 \
    --out "$WORK/camera" --json
json '.success == false and .status == "max_steps" and .steps == 3 and
      (.message | contains("step budget (3 steps)"))'
trajectory_ok "$WORK/camera"
requests_valid
stop_fake

echo "the model gives up"
cat >"$WORK/giveup.json" <<'EOF'
{"replies": [{"tool": "done", "args": {"success": false, "message": "There is no Camera app."}}]}
EOF
start_fake "$WORK/giveup.json"
run 1 "$TAPLOOP" run "Take a photo with the Camera app" --llm-url "$FAKE_URL" --no-trace --json
json '.status == "failed" and .message == "There is no Camera app." and .trajectory == null'
stop_fake

echo "the model gives up on a goal with an output schema: its reason is kept, no output asked for"
start_fake "$WORK/giveup.json"
run 1 "$TAPLOOP" run "Take a photo with the Camera app" --llm-url "$FAKE_URL" \
    --output-schema "$WORK/schema.json" --no-trace --json
json '.status == "failed" and .message == "There is no Camera app." and .output == null'
[ "$(wc -l <"$FAKE_LOG")" -eq 1 ] || fail "the model was asked again: $(wc -l <"$FAKE_LOG") requests"
grep -q "success true" "$FAKE_LOG" || fail "the prompt does not say when the output is required"
stop_fake

echo "a base URL with a query (Azure style): /chat/completions goes before it"
start_fake "$WORK/giveup.json"
run 1 "$TAPLOOP" run "Take a photo with the Camera app" \
    --llm-url "$FAKE_URL/?api-version=2024-06-01" --no-trace --json
json '.status == "failed" and .message == "There is no Camera app."'
jq -e -s '.[0].path == "/v1/chat/completions?api-version=2024-06-01"' "$FAKE_LOG" >/dev/null ||
    fail "request path: $(jq -r .path "$FAKE_LOG")"
stop_fake

echo "--prompts DIR: a template in DIR replaces the built-in one, a missing one falls back"
mkdir "$WORK/prompts"
printf 'My own step prompt. Goal: {{goal}}\n{{listing}}\n' >"$WORK/prompts/step.txt"
start_fake "$WORK/giveup.json"
run 1 "$TAPLOOP" run "Take a photo with the Camera app" --llm-url "$FAKE_URL" \
    --prompts "$WORK/prompts" --no-trace --json
json '.status == "failed"'
grep -qF "My own step prompt. Goal: Take a photo" "$FAKE_LOG" || fail "step.txt not used"
grep -qF "You are taploop, an agent" "$FAKE_LOG" || fail "the built-in system prompt is not used"
stop_fake

echo "--prompts DIR that is not a readable directory, or holds neither template: exit 2"
run 2 "$TAPLOOP" run "Take a photo" --prompts "$WORK/no-such-dir" --no-trace
err_has "--prompts $WORK/no-such-dir: No such file or directory"
run 2 "$TAPLOOP" run "Take a photo" --prompts "$WORK/prompts/step.txt" --no-trace
err_has "--prompts $WORK/prompts/step.txt: Not a directory"
mkdir "$WORK/no-prompts"
run 2 "$TAPLOOP" run "Take a photo" --prompts "$WORK/no-prompts" --no-trace
err_has "--prompts $WORK/no-prompts: the directory holds neither system.txt nor step.txt"

echo "e2e run goals: all passed"
