#!/bin/sh
# End-to-end: action safety (--deny-package, --deny-text) on the sim demo phone. A denied
# start_app and anything done inside a denied app that got on screen another way are refused
# and reported to the model, ways out (back, home, another app) stay allowed; a typed text that
# a --deny-text pattern matches never reaches the phone; batch and test take the same options;
# bad values are usage errors (exit 2).
. "$(dirname "$0")/lib.sh"

# a step's result in a trajectory: result DIR STEP
result() { jq -r --argjson n "$2" 'select(.step == $n) | .result' "$1/trajectory.jsonl"; }

echo "a denied app: not opened, nothing done inside it, the model is told"
cat >"$WORK/pkg.json" <<'JSON'
{"replies": [
  {"tool": "tap", "tap_text": "Notes", "content": "the launcher icon opens the app"},
  {"tool": "tap", "tap_text": "Sign in"},
  {"tool": "press_key", "args": {"key": "home"}},
  {"tool": "start_app", "args": {"package": "com.example.notes"}},
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "done", "args": {"success": true, "message": "gave up on the denied app"}}
]}
JSON
start_fake "$WORK/pkg.json"
run 0 "$TAPLOOP" run "Sign in to Notes" --llm-url "$FAKE_URL" --out "$WORK/pkg" \
    --deny-package com.example.notes --deny-package 'com.bank.*' --settle-max 0
trajectory_ok "$WORK/pkg"
[ "$(result "$WORK/pkg" 1)" = ok ] || fail "the launcher tap was refused"
case "$(result "$WORK/pkg" 2)" in
"error: refused: the app on screen, com.example.notes, is on the user's deny list"*) ;;
*) fail "step 2 was not refused: $(result "$WORK/pkg" 2)" ;;
esac
[ "$(result "$WORK/pkg" 3)" = ok ] || fail "home was refused inside the denied app"
case "$(result "$WORK/pkg" 4)" in
"error: refused: the app com.example.notes is on the user's deny list"*) ;;
*) fail "start_app of the denied app was not refused: $(result "$WORK/pkg" 4)" ;;
esac
[ "$(result "$WORK/pkg" 5)" = ok ] || fail "an allowed app was refused"
jq -e -s '.[4].package == "com.android.launcher3" and .[5].package == "com.android.settings"' \
    "$WORK/pkg/trajectory.jsonl" >/dev/null || fail "the denied app was opened: $(jq -c .package "$WORK/pkg/trajectory.jsonl")"
err_has "step 2/30: tap"
err_has "-> error: refused: the app on screen, com.example.notes"
# the model heard about each refusal in the next request
jq -e -s '.[2].request.messages[-1].content | test("refused: the app on screen, com.example.notes")' \
    "$FAKE_LOG" >/dev/null || fail "the model was not told about the refused tap"
jq -e -s '.[4].request.messages[-1].content | test("refused: the app com.example.notes is on")' \
    "$FAKE_LOG" >/dev/null || fail "the model was not told about the refused start_app"
requests_valid
stop_fake

echo "a denied text never reaches the phone"
cat >"$WORK/text.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.example.notes"}},
  {"tool": "type", "args": {"index": 3, "text": "card 4111 1111 1111 1111"}},
  {"tool": "type", "args": {"index": 3, "text": "Please TRANSFER all funds"}},
  {"tool": "type", "args": {"index": 3, "text": "me@example.com"}},
  {"tool": "done", "args": {"success": true, "message": "typed"}}
]}
JSON
start_fake "$WORK/text.json"
run 0 "$TAPLOOP" run "Fill the email" --llm-url "$FAKE_URL" --out "$WORK/text" --settle-max 0 \
    --deny-text '/\b\d{4}( ?\d{4}){3}\b/' --deny-text '/transfer/i'
trajectory_ok "$WORK/text"
for n in 2 3; do
    [ "$(result "$WORK/text" $n)" = "error: refused: the user does not allow typing this text (it matches a --deny-text pattern)" ] ||
        fail "step $n was not refused: $(result "$WORK/text" $n)"
done
[ "$(result "$WORK/text" 4)" = ok ] || fail "an allowed text was refused"
jq -e -s '.[3].request.messages[-1].content | test("does not allow typing this text")' \
    "$FAKE_LOG" >/dev/null || fail "the model was not told about the refused text"
requests_valid
stop_fake
# what the phone showed after each step: the refused texts never got into the field
for f in "$WORK"/text/step-00[1-4].ui.json; do
    ! grep -q -e 4111 -e TRANSFER "$f" || fail "a denied text reached the phone: $f"
done
grep -q '"me@example.com"' "$WORK/text/step-005.ui.json" || fail "the allowed text was not typed"

echo "batch and test take the same options"
cat >"$WORK/rules.json" <<'JSON'
{"rules": [
  {"step": 1, "tool": "start_app", "args": {"package": "com.example.notes"}},
  {"tool": "done", "args": {"success": false, "message": "refused"}}
]}
JSON
start_fake "$WORK/rules.json"
printf 'devices: [sim:a, sim:b]\nparallel: 2\ngoals: [Open Notes]\n' >"$WORK/b.yaml"
run 1 "$TAPLOOP" batch "$WORK/b.yaml" --llm-url "$FAKE_URL" --out "$WORK/b" \
    --deny-package com.example.notes --settle-max 0
for d in a b; do
    t=$(ls -d "$WORK/b/sim-$d"/* 2>/dev/null | head -1)
    [ -n "$t" ] || fail "no trajectory for sim:$d: $(ls "$WORK/b")"
    trajectory_ok "$t"
    case "$(result "$t" 1)" in
    "error: refused: the app com.example.notes"*) ;;
    *) fail "batch job sim:$d: step 1 not refused: $(result "$t" 1)" ;;
    esac
done
stop_fake
cat >"$WORK/s.yaml" <<'YAML'
name: denied
driver: sim
cases:
  - name: step launch
    steps:
      - launch: com.example.notes
  - name: goal launch
    launch: com.example.notes
    goal: Sign in
  - name: allowed
    steps:
      - launch: com.android.settings
YAML
run 1 "$TAPLOOP" test "$WORK/s.yaml" --deny-package com.example.notes --llm-url http://127.0.0.1:9/v1 \
    --out "$WORK/s"
has "FAIL  denied / step launch"
has "deny list (--deny-package)"
has "FAIL  denied / goal launch"
has "PASS  denied / allowed"

echo "bad values are usage errors"
run 2 "$TAPLOOP" run x --deny-package 'com..bank'
err_has "--deny-package 'com..bank' is not a package name"
run 2 "$TAPLOOP" batch "$WORK/b.yaml" --deny-text '/(/'
err_has "--deny-text: bad regular expression: missing closing parenthesis at offset 1"
run 2 "$TAPLOOP" test "$WORK/s.yaml" --deny-text '/x/g'
err_has "--deny-text: unknown flag 'g'"
run 0 "$TAPLOOP" run --help
has "--deny-package PKG"
has "--deny-text PATTERN"

echo "e2e policy: all passed"
