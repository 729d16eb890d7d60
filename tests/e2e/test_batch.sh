#!/bin/sh
# End-to-end: `taploop batch` and `taploop report merge`. The sim batch of examples/batch on
# three phones against the fake LLM's rules (order-independent replies, so concurrent jobs get
# the same answers); 20 devices of the fake Mobilerun server (--static) driven 4 at a time,
# with one device not ready: the concurrency is real (overlapping requests in the fake's log)
# and bounded (never more than 4 devices active); --json lines, --report JUnit parsed back with
# xml.etree, --shard partitions, merging two shards, bad batch files (line/column and key
# path), and SIGINT during a batch (exit 130, trajectories flushed).
. "$(dirname "$0")/lib.sh"

EXAMPLES="$TL_TESTS/../examples/batch"
KEY="mr-batch-$$"
export MOBILERUN_API_KEY="$KEY"

# junit_ok FILE TESTS FAILURES ERRORS: the report parses and holds these counts, one
# testsuite per device, each testcase with time and a system-out naming its trajectory
junit_ok() {
    "$TL_PYTHON" - "$@" <<'PY' || fail "JUnit report $1"
import sys, xml.etree.ElementTree as ET
path, tests, failures, errors = sys.argv[1], *map(int, sys.argv[2:5])
root = ET.parse(path).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
assert len(cases) == tests == int(root.get("tests")), (len(cases), tests)
assert len(root.findall("./testsuite/testcase/failure")) == failures == int(root.get("failures"))
assert len(root.findall("./testsuite/testcase/error")) == errors == int(root.get("errors"))
names = [s.get("name") for s in root.findall("testsuite")]
assert len(names) == len(set(names)), names
for c in cases:
    float(c.get("time"))
    out = c.find("system-out")
    if c.find("skipped") is None and c.find("error") is None:
        assert out is not None and out.text.startswith("trajectory: "), ET.tostring(c)
PY
}

echo "the sim batch of examples/: 3 phones, 2 goals, 2 at a time"
start_fake "$EXAMPLES/sim-batch.fake-llm.json"
run 0 "$TAPLOOP" batch "$EXAMPLES/sim-batch.yaml" --llm-url "$FAKE_URL" --out "$WORK/sim" \
    --json --report "$WORK/sim.xml"
[ "$(grep -c '"goal_index"' "$OUT")" = 6 ] || fail "6 job lines"
json 'select(.summary) | .summary.jobs == 6 and .summary.passed == 6 and .summary.exit_code == 0'
jq -e -s '[.[] | select(.device)] | all(.success and .driver == "sim" and
    (.trajectory | test("/sim-[abc]/0[12]-(turn-on-dark-theme|open-contacts-and-add-tom-with-phone)")))' \
    "$OUT" >/dev/null || fail "job lines"
# goals in order on each device: goal 1 ends before goal 2 on the same phone
jq -e -s '[.[] | select(.device)] | group_by(.device) | all(.[0].goal_index == 1 and .[1].goal_index == 2)' \
    "$OUT" >/dev/null || fail "goal order per device"
for d in sim-a sim-b sim-c; do
    trajectory_ok "$WORK/sim/$d/01-turn-on-dark-theme"
    trajectory_ok "$WORK/sim/$d/02-open-contacts-and-add-tom-with-phone"
done
junit_ok "$WORK/sim.xml" 6 0 0
err_has "sim:b #02 completed"
err_has "6/6 done, 0 failed, 0 running"
requests_valid

echo "shards 0/2 and 1/2 partition the devices; report merge joins them"
printf 'devices: [sim:a, sim:b, sim:c, sim:d, sim:e]\ngoals: [Turn on Dark theme]\n' \
    >"$WORK/five.yaml"
run 0 "$TAPLOOP" batch "$WORK/five.yaml" --llm-url "$FAKE_URL" --no-trace --json --shard 0/2 \
    --report "$WORK/s0.xml" --parallel 3
cp "$OUT" "$WORK/s0.jsonl"
run 0 "$TAPLOOP" batch "$WORK/five.yaml" --llm-url "$FAKE_URL" --no-trace --json --shard 1/2 \
    --report "$WORK/s1.xml" -q
cp "$OUT" "$WORK/s1.jsonl"
[ "$(jq -r -s '[.[] | select(.device) | .device] | join(",")' "$WORK/s0.jsonl" | tr , '\n' | sort | paste -sd,)" = "sim:a,sim:c,sim:e" ] ||
    fail "shard 0/2: $(cat "$WORK/s0.jsonl")"
[ "$(jq -r -s '[.[] | select(.device) | .device] | sort | join(",")' "$WORK/s1.jsonl")" = "sim:b,sim:d" ] ||
    fail "shard 1/2"
json 'select(.summary) | .summary.shard == "1/2" and .summary.jobs == 2' "$WORK/s1.jsonl"
run 0 "$TAPLOOP" report merge "$WORK/s0.jsonl" "$WORK/s1.jsonl" --json --report "$WORK/merged.xml"
json 'select(.summary) | .summary.jobs == 5 and .summary.passed == 5 and .summary.devices == 5 and
      .summary.shards == 2 and .summary.exit_code == 0'
"$TL_PYTHON" -c "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); assert len(r.findall('testsuite'))==5 and r.get('tests')=='5'" \
    "$WORK/merged.xml" || fail "merged JUnit from job lines"
run 0 "$TAPLOOP" report merge "$WORK/s0.xml" "$WORK/s1.xml" --report "$WORK/merged2.xml"
has "5 jobs on 5 devices: 5 passed"
"$TL_PYTHON" -c "import xml.etree.ElementTree as E,sys; r=E.parse(sys.argv[1]).getroot(); assert sorted(s.get('name') for s in r.findall('testsuite'))==['sim:a','sim:b','sim:c','sim:d','sim:e']" \
    "$WORK/merged2.xml" || fail "merged JUnit from JUnit files"
# a missing shard is an infrastructure error
run 3 "$TAPLOOP" report merge "$WORK/s0.jsonl"
err_has "missing shard 1/2"
stop_fake

echo "20 devices of the fake Mobilerun server, 4 at a time, one device not ready"
{
    printf '{"key": "%s", "page_size": 10, "devices": [' "$KEY"
    for i in $(seq 1 20); do printf '{"id": "dev-%02d", "state": "ready"},' "$i"; done
    printf '{"id": "dev-off", "state": "disconnected"}]}\n'
} >"$WORK/mr.json"
start_server MR fake_mobilerun.py --taploop "$TAPLOOP" --config "$WORK/mr.json" --static \
    --latency-ms 20 --log "$WORK/mr.log" --idle-timeout $((60 * TL_SLOW))
export MOBILERUN_BASE_URL="$MR_URL/v1"
cat >"$WORK/mr-rules.json" <<'JSON'
{"rules": [
  {"step": 1, "tool": "press_key", "args": {"key": "home"}, "content": "start from home"},
  {"tool": "done", "args": {"success": true, "message": "ok"}}
]}
JSON
start_fake "$WORK/mr-rules.json" --delay-ms 150
{
    printf 'driver: mobilerun\nparallel: 4\nmax_steps: 5\ndevices:\n'
    for i in $(seq 1 20); do printf '  - dev-%02d\n' "$i"; done
    printf '  - dev-off\ngoals:\n  - Go home\n'
} >"$WORK/mr.yaml"
run 3 "$TAPLOOP" batch "$WORK/mr.yaml" --llm-url "$FAKE_URL" --out "$WORK/mr" --json \
    --report "$WORK/mr.xml" --settle-max 0
json 'select(.summary) | .summary.jobs == 21 and .summary.passed == 20 and .summary.errors == 1'
jq -e -s '.[] | select(.device == "dev-off") | .status == "error" and (.message | contains("dev-off"))' \
    "$OUT" >/dev/null || fail "the job of dev-off is an error naming the device"
junit_ok "$WORK/mr.xml" 21 0 1
jq -e -s 'map(select(.violation != null)) | length == 0' "$WORK/mr.log" >/dev/null ||
    fail "a request broke the Mobilerun reference"
# per device: the span from its first request to its last; at most 4 spans overlap at any
# time, and more than one does (the devices really ran concurrently)
"$TL_PYTHON" - "$WORK/mr.log" <<'PY' || fail "concurrency not bounded by parallel"
import json, sys
spans = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    d = e.get("device")
    if not d or not d.startswith("dev-") or d == "dev-off":
        continue
    s, t = spans.get(d, (e["start"], e["end"]))
    spans[d] = (min(s, e["start"]), max(t, e["end"]))
assert len(spans) == 20, len(spans)
events = sorted([(s, 1) for s, _ in spans.values()] + [(t, -1) for _, t in spans.values()],
                key=lambda x: (x[0], x[1]))
active = peak = 0
for _, k in events:
    active += k
    peak = max(peak, active)
assert 2 <= peak <= 4, peak
print("peak devices active:", peak, file=sys.stderr)
PY
# LLM requests overlapped too
"$TL_PYTHON" - "$FAKE_LOG" <<'PY' || fail "LLM requests never overlapped"
import json, sys
starts = sorted(json.loads(l)["start"] for l in open(sys.argv[1]))
assert any(b - a < 0.1 for a, b in zip(starts, starts[1:])), starts[:10]
PY

echo "devices: all lists the ready devices (20 of 21)"
printf 'driver: mobilerun\ndevices: all\nparallel: 10\ngoals: [Go home]\n' >"$WORK/all.yaml"
run 0 "$TAPLOOP" batch "$WORK/all.yaml" --llm-url "$FAKE_URL" --no-trace --json --shard 1/5 \
    --settle-max 0
json 'select(.summary) | .summary.jobs == 4'
[ "$(jq -r -s '[.[] | select(.device) | .device] | sort | join(",")' "$OUT")" = "dev-02,dev-07,dev-12,dev-17" ] ||
    fail "devices: all, shard 1/5"
stop_fake

echo "bad batch files: line, column and key path"
bad() { # bad NAME 'yaml' 'expected message'
    printf '%s\n' "$2" >"$WORK/$1.yaml"
    run 2 "$TAPLOOP" batch "$WORK/$1.yaml" --llm-url http://127.0.0.1:9/v1
    err_has "$3"
}
bad syntax 'devices: [sim:a
goals: [x]' "$WORK/syntax.yaml:2:"
bad unknown 'devices: [sim:a]
goals:
  - goal: x
    max_step: 3' "$WORK/unknown.yaml:4:5: goals[0].max_step: unknown key \"max_step\""
bad type 'devices: [sim:a]
parallel: many
goals: [x]' "$WORK/type.yaml:2:11: parallel: expected an integer (1..10000), not \"many\""
bad nogoals 'devices: [sim:a]' 'missing required key "goals"'
bad emptydev 'devices: []
goals: [x]' "devices: the device list is empty"
bad emptygoals 'devices: [sim:a]
goals: []' "goals: the goal list is empty"
bad alias 'a: &x [1, 2]
devices: *x
goals: [x]' "aliases (*x) are not supported"
run 2 "$TAPLOOP" batch "$WORK/missing.yaml"
err_has "missing.yaml"

echo "SIGINT during a batch: exit 130, trajectories flushed"
cat >"$WORK/slow.json" <<'JSON'
{"rules": [
  {"step": 1, "tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "wait", "args": {"ms": 100}, "delay_ms": 4000}
]}
JSON
start_fake "$WORK/slow.json"
printf 'devices: [sim:a, sim:b, sim:c]\nparallel: 2\ngoals: [Turn on Dark theme, Second]\n' \
    >"$WORK/slow.yaml"
set +e
"$TAPLOOP" batch "$WORK/slow.yaml" --llm-url "$FAKE_URL" --out "$WORK/slow" --json \
    >"$OUT" 2>"$ERR" &
pid=$!
for _ in $(seq 1 100); do
    [ "$(grep -c '"Step 2' "$FAKE_LOG" 2>/dev/null)" -ge 2 ] 2>/dev/null && break
    grep -q 'Step 2 of' "$FAKE_LOG" 2>/dev/null && [ "$(grep -c 'Step 2 of' "$FAKE_LOG")" -ge 2 ] && break
    sleep 0.1
done
t0=$(date +%s)
kill -INT "$pid"
wait "$pid"
got=$?
set -e
[ "$got" = 130 ] || fail "exit $got after SIGINT, wanted 130"
[ $(($(date +%s) - t0)) -le 3 ] || fail "the batch took more than 3 s to stop"
json 'select(.summary) | .summary.interrupted == 6 and .summary.exit_code == 130'
for d in sim-a sim-b; do
    [ -s "$WORK/slow/$d/01-turn-on-dark-theme/trajectory.jsonl" ] || fail "no trajectory for $d"
    jq -e '.status == "interrupted"' "$WORK/slow/$d/01-turn-on-dark-theme/result.json" >/dev/null ||
        fail "result.json of $d"
done
[ ! -e "$WORK/slow/sim-c" ] || fail "sim:c should not have started"

echo "e2e batch: all passed"
