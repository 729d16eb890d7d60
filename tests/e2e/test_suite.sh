#!/bin/sh
# End-to-end: `taploop test`. The shipped example suite replayed offline from its per-case
# cassettes (JUnit parsed back with xml.etree, --json lines); a failing suite whose message
# names the step, the selector, the closest candidates and the screenshot; a flaky goal case
# (the scripted LLM fails it once) and a loading screen waited for on the sim's timed
# transitions; --only; recording per-case cassettes; a cassette miss failing its case (exit 3);
# SIGINT (exit 130); bad suite files (exit 2, line, column and key path).
. "$(dirname "$0")/lib.sh"

EXAMPLES="$TL_TESTS/../examples/suites"
DEAD_LLM="http://127.0.0.1:9/v1" # nothing listens: replays must not need the network

# junit_ok FILE TESTS FAILURES ERRORS SKIPPED FLAKY: parses, counts hold, every testcase has a
# time, a failure has a message and a body, system-out names the trajectory
junit_ok() {
    "$TL_PYTHON" - "$@" <<'PY' || fail "JUnit report $1"
import sys, xml.etree.ElementTree as ET
path, tests, failures, errors, skipped, flaky = sys.argv[1], *map(int, sys.argv[2:7])
root = ET.parse(path).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
assert len(cases) == tests == int(root.get("tests")), (len(cases), tests)
assert len(root.findall("./testsuite/testcase/failure")) == failures == int(root.get("failures"))
assert len(root.findall("./testsuite/testcase/error")) == errors == int(root.get("errors"))
assert len(root.findall("./testsuite/testcase/skipped")) == skipped == int(root.get("skipped"))
got = [c for c in cases if any(p.get("name") == "flaky" and p.get("value") == "true"
                               for p in c.findall("./properties/property"))]
assert len(got) == flaky, [c.get("name") for c in got]
for s in root.findall("testsuite"):
    assert s.get("name") and s.get("timestamp"), s.attrib
for c in cases:
    float(c.get("time"))
    assert c.get("classname"), c.attrib
    f = c.find("failure")
    if f is not None:
        assert f.get("message") and f.get("type") and f.text and f.text.strip(), ET.tostring(c)
    if c.find("skipped") is None:
        out = c.find("system-out")
        assert out is not None and out.text.startswith("trajectory: "), ET.tostring(c)
PY
}

echo "the example suite, replayed offline from its per-case cassettes"
run 0 "$TAPLOOP" test "$EXAMPLES/settings-smoke.yaml" --replay "$EXAMPLES/cassettes" \
    --llm-url "$DEAD_LLM" --out "$WORK/ex" --report "$WORK/ex.xml"
has "PASS  settings-smoke / dark theme by goal"
has "PASS  settings-smoke / dark theme by steps"
has "PASS  settings-smoke / add a contact by steps"
has "test: 3 cases: 3 passed, 0 failed, 0 errors, 0 skipped"
junit_ok "$WORK/ex.xml" 3 0 0 0 0
trajectory_ok "$WORK/ex/settings-smoke/01-dark-theme-by-goal"
trajectory_ok "$WORK/ex/settings-smoke/02-dark-theme-by-steps"
[ -s "$WORK/ex/settings-smoke/01-dark-theme-by-goal/expect.png" ] || fail "no expect screenshot"
# deterministic steps record a trajectory too: a line, a screenshot and an index per step
dir="$WORK/ex/settings-smoke/02-dark-theme-by-steps"
[ "$(wc -l <"$dir/trajectory.jsonl")" = 12 ] || fail "12 step lines in $dir"
[ -s "$dir/step-012.png" ] && [ -s "$dir/step-012.ui.json" ] || fail "step files in $dir"
jq -e -s '[.[] | select(.suite_step == "cases[1].steps[3] tap {text: \"Display\"}")] |
    length == 1 and .[0].action.action == "tap" and .[0].screenshot == "step-004.png"' \
    "$dir/trajectory.jsonl" >/dev/null || fail "the tap step's trajectory line"

echo "--json and --only"
run 0 "$TAPLOOP" test "$EXAMPLES/settings-smoke.yaml" --replay "$EXAMPLES/cassettes" \
    --llm-url "$DEAD_LLM" --no-trace --json --only '/^DARK theme by (goal|steps)$/i'
[ "$(grep -c '"case"' "$OUT")" = 2 ] || fail "2 case lines"
jq -e -s '[.[] | select(.case)] | length == 2 and all(.suite == "settings-smoke" and
    .status == "passed" and .flaky == false and .attempts == 1)' "$OUT" >/dev/null || fail "case lines"
jq -e -s '.[-1].summary | .cases == 2 and .passed == 2 and .not_selected == 1 and
    .exit_code == 0' "$OUT" >/dev/null || fail "summary line"

run 0 "$TAPLOOP" test "$EXAMPLES/settings-smoke.yaml" --no-trace --only CONTACT
has "1 passed, 0 failed, 0 errors, 0 skipped, 2 not selected"
run 2 "$TAPLOOP" test "$EXAMPLES/settings-smoke.yaml" --no-trace --only nothing-like-this
err_has "--only: no case matches"

echo "a failing step names the step, the selector, the closest candidates and the screenshot"
cat >"$WORK/fail.yaml" <<'YAML'
name: failing
cases:
  - name: typo in a selector
    steps:
      - launch: com.android.settings
      - scroll: down
      - tap: {text: Display}
      - tap: {text: "/^Dark them$/"}
  - name: passes
    steps:
      - launch: com.android.settings
      - assert_visible: {text: Battery}
  - name: later
    skip: the tablet layout is not done
    steps: [{press: home}]
YAML
run 1 "$TAPLOOP" test "$WORK/fail.yaml" --out "$WORK/f" --report "$WORK/f.xml"
shot="$WORK/f/failing/01-typo-in-a-selector/step-004.png"
has "FAIL  failing / typo in a selector"
has 'cases[0].steps[3] tap {text: "/^Dark them$/"} (line 8): nothing on screen matches'
has '[8] Switch "Dark theme" checked=false clickable (540,924)'
has "(screenshot: $shot)"
has "PASS  failing / passes"
has "SKIP  failing / later: the tablet layout is not done"
has "1 passed, 1 failed, 0 errors, 1 skipped"
[ -s "$shot" ] || fail "no $shot"
junit_ok "$WORK/f.xml" 3 1 0 1 0
grep -qF "closest candidates:" "$WORK/f.xml" || fail "no candidates in the JUnit body"

echo "flaky: a goal case the LLM fails once, retried; a loading screen waited for"
cat >"$WORK/flaky.json" <<'JSON'
{"rules": [
  {"goal": "Dark theme", "times": 1, "tool": "done", "args": {"success": false, "message": "the switch did not answer"}},
  {"goal": "Dark theme", "matches": "\"Dark theme\" checked=true", "tool": "done", "args": {"success": true, "message": "on"}},
  {"goal": "Dark theme", "listed": "Dark theme", "tool": "tap", "tap_text": "Dark theme"},
  {"goal": "Dark theme", "listed": "Display", "tool": "tap", "tap_text": "Display"},
  {"goal": "Dark theme", "tool": "scroll", "args": {"direction": "down"}}
]}
JSON
cat >"$WORK/flaky.yaml" <<'YAML'
name: flaky
cases:
  - name: dark theme, retried
    launch: com.android.settings
    goal: Turn on Dark theme
    retries: 2
    expect: [{checked: {text: Dark theme}}]
YAML
# a mail app whose Archive shows a spinner for 1.5 s (a timed transition, docs/sim-model.md)
# (the spinner must outlast the steps up to the check of "archive too soon": TL_SLOW)
SPIN_MS=$((1500 * TL_SLOW))
sed "s/\"after\": {\"ms\": 500, \"do\": \[{\"replace\": \"archive\"}\]}/\"after\": {\"ms\": $SPIN_MS, \"do\": [{\"replace\": \"archive\"}]}/" \
    "$TL_FIXTURES/sim/loading.json" >"$WORK/slow-mail.json"
grep -q "\"ms\": $SPIN_MS" "$WORK/slow-mail.json" || fail "slow-mail.json"
cat >"$WORK/loading.yaml" <<YAML
name: loading
device: $WORK/slow-mail.json
cases:
  - name: archive after its spinner
    steps:
      - launch: com.example.mail
      - tap: {text: Archive}
      - wait_for: {text: "/^Invoice 2023-1[12]$/", timeout_ms: $((5000 * TL_SLOW))}
      - assert_not_visible: {text: Loading…}
  - name: archive too soon
    steps:
      - launch: com.example.mail
      - tap: {text: Archive}
      - wait_for: {text: Invoice 2023-11, timeout_ms: 0}
YAML
start_fake "$WORK/flaky.json"
run 1 "$TAPLOOP" test "$WORK/flaky.yaml" "$WORK/loading.yaml" --llm-url "$FAKE_URL" \
    --settle-max 0 --out "$WORK/fl" --report "$WORK/fl.xml" --record "$WORK/rec"
has "FLAKY flaky / dark theme, retried"
has "passed on attempt 2 of 3; attempt 1: goal not achieved (failed after 1 step): the switch did not answer (screenshot: $WORK/fl/flaky/01-dark-theme-retried/step-001.png)"
has "PASS  loading / archive after its spinner"
# wait_for polled through the spinner: its step took about the 1.5 s of the transition
jq -e -s '.[2].suite_step == "cases[0].steps[2] wait_for {text: \"/^Invoice 2023-1[12]$/\"}" and
    .[2].timings.step_ms >= 1000 and .[2].result == "ok"' \
    "$WORK/fl/loading/01-archive-after-its-spinner/trajectory.jsonl" >/dev/null ||
    fail "wait_for did not wait: $(cat "$WORK/fl/loading/01-archive-after-its-spinner/trajectory.jsonl")"
has "FAIL  loading / archive too soon"
has 'nothing matched {text: "Invoice 2023-11"} within 0 ms'
has "2 passed (1 flaky), 1 failed"
junit_ok "$WORK/fl.xml" 3 1 0 0 1
trajectory_ok "$WORK/fl/flaky/01-dark-theme-retried"
trajectory_ok "$WORK/fl/flaky/01-dark-theme-retried-retry-1"
grep -qF "flaky: passed on attempt 2 of 3" "$WORK/fl.xml" || fail "flaky note in the report"
grep -qF "<flakyFailure message=\"goal not achieved" "$WORK/fl.xml" || fail "no flakyFailure"
# the recording holds the attempt that passed
cas="$WORK/rec/flaky/01-dark-theme-retried.cassette"
[ "$(grep -vc '^#' "$cas")" = 4 ] || fail "4 exchanges in $cas"
requests_valid
stop_fake

echo "replay from the recorded per-case cassette; a miss fails the case (exit 3)"
run 0 "$TAPLOOP" test "$WORK/flaky.yaml" --replay "$WORK/rec" --llm-url "$DEAD_LLM" --no-trace
has "PASS  flaky / dark theme, retried"
sed 's/goal: Turn on Dark theme/goal: Turn on Dark theme now/' "$WORK/flaky.yaml" >"$WORK/changed.yaml"
run 3 "$TAPLOOP" test "$WORK/changed.yaml" --replay "$WORK/rec" --llm-url "$DEAD_LLM" \
    --out "$WORK/miss" --json --report "$WORK/miss.xml"
jq -e -s --arg cas "$WORK/rec/flaky/01-dark-theme-retried.cassette" '.[0] |
    .status == "failed" and .type == "cassette_miss" and .attempts == 1 and
    (.message | startswith("step 1: cassette miss in \($cas): exchange 1: ")) and
    (.message | test("Goal: Turn on Dark theme now.*: the app.s UI or the prompt changed")) and
    ([.message | scan("cassette miss")] | length == 1) and .exit_code == 3' "$OUT" >/dev/null ||
    fail "the miss line"

junit_ok "$WORK/miss.xml" 1 1 0 0 0
run 3 "$TAPLOOP" test "$WORK/flaky.yaml" --replay "$WORK/nowhere" --llm-url "$DEAD_LLM" --no-trace
has "FAIL  flaky / dark theme, retried"
has "cassette miss: there is no cassette $WORK/nowhere/flaky/01-dark-theme-retried.cassette"

echo "SIGINT during a wait_for: exit 130, the trajectory kept, the next case skipped"
printf 'cases:\n  - name: waits\n    steps:\n      - launch: com.android.settings\n      - wait_for: {text: Never, timeout_ms: 20000}\n  - name: later\n    steps: [{press: home}]\n' \
    >"$WORK/int.yaml"
set +e
"$TAPLOOP" test "$WORK/int.yaml" --out "$WORK/int" --json >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 100); do
    [ -s "$WORK/int/int/01-waits/step-002.png" ] && break
    sleep 0.05
done
t0=$(date +%s)
kill -INT "$pid"
wait "$pid"
got=$?
set -e
[ "$got" = 130 ] || fail "exit $got after SIGINT, wanted 130"
[ $(($(date +%s) - t0)) -le 3 ] || fail "the test took more than 3 s to stop"
jq -e -s '.[0].status == "skipped" and .[1].status == "skipped" and
    .[1].message == "not started: the run was interrupted" and .[2].summary.exit_code == 130' \
    "$OUT" >/dev/null || fail "interrupted lines"
[ "$(wc -l <"$WORK/int/int/01-waits/trajectory.jsonl")" = 2 ] || fail "2 trajectory lines"

echo "bad suite files: exit 2 naming the file, line, column and key path"
printf 'cases: []\n' >"$WORK/empty.yaml"
run 2 "$TAPLOOP" test "$WORK/empty.yaml"
err_has "empty.yaml:1:8: cases: the case list is empty"
printf 'cases:\n  - name: a\n    steps:\n      - tap: {txt: Display}\n' >"$WORK/key.yaml"
run 2 "$TAPLOOP" test "$EXAMPLES/settings-smoke.yaml" "$WORK/key.yaml"
err_has "key.yaml:4:15: cases[0].steps[0].tap.txt: unknown key (known: text, desc"
hasnt "PASS" # nothing ran
printf 'cases:\n  - name: a\n    steps: [{wait_for: {text: a, timeout_ms: soon}}]\n' >"$WORK/type.yaml"
run 2 "$TAPLOOP" test "$WORK/type.yaml"
err_has "type.yaml:3:46: cases[0].steps[0].wait_for.timeout_ms: expected an integer"
run 2 "$TAPLOOP" test "$WORK/nope.yaml"
err_has "nope.yaml"
echo "ok"
