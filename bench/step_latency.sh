#!/bin/sh
# Step latency against slow servers: the Dark theme goal through the Mobilerun driver on the
# fake Mobilerun server with DEVICE_MS injected into every device call, and the scripted LLM
# with LLM_MS per reply. For each step it compares the measured step time (the trajectory's
# step_ms) with the ideal for this loop:
#
#   ideal = LLM round trip + action round trip + settle window + final observation
#
# where the final observation is the slower of the tree and screenshot requests of the poll
# that ends the settling (from the fake's log: its own time, the taploop subprocess that plays
# the phone included) — the least a step can take when tree and screenshot are fetched
# together and the screen must be seen unchanged for the window. The LLM and action round trips
# come from the trajectory (llm_ms, act_ms): they are waiting, not runtime work.
#
# usage: bench/step_latency.sh [build/taploop] [DEVICE_MS] [LLM_MS] [--vision]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
taploop=${1:-$here/build/taploop}
device_ms=${2:-80}
llm_ms=${3:-300}
extra=${4:-}
py=${TL_PYTHON:-python3}
work=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state"

cat >"$work/llm.json" <<JSON
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}, "delay_ms": $llm_ms},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display", "delay_ms": $llm_ms},
  {"tool": "tap", "tap_text": "Display", "delay_ms": $llm_ms},
  {"tool": "tap", "tap_text": "Dark theme", "delay_ms": $llm_ms},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}, "delay_ms": $llm_ms}
]}
JSON
cat >"$work/mr.json" <<JSON
{"devices": [{"id": "dev-1", "state": "ready"}],
 "faults": [{"method": "*", "path": "/devices/dev-1/*", "delay_ms": $device_ms, "always": true}]}
JSON
"$py" "$here/tests/fakes/fake_openai.py" --script "$work/llm.json" --port-file "$work/llm.port" \
    --idle-timeout 60 &
pids="$pids $!"
"$py" "$here/tests/fakes/fake_mobilerun.py" --taploop "$taploop" --config "$work/mr.json" \
    --key bench-key --log "$work/mr.log" --port-file "$work/mr.port" --idle-timeout 60 &
pids="$pids $!"
while [ ! -s "$work/llm.port" ] || [ ! -s "$work/mr.port" ]; do sleep 0.05; done

# shellcheck disable=SC2086
MOBILERUN_API_KEY=bench-key MOBILERUN_BASE_URL="http://127.0.0.1:$(cat "$work/mr.port")/v1" \
    "$taploop" run "Turn on Dark theme" --driver mobilerun \
    --llm-url "http://127.0.0.1:$(cat "$work/llm.port")/v1" --out "$work/run" -q $extra >/dev/null

"$py" - "$work/run/trajectory.jsonl" "$work/mr.log" "$device_ms" "$llm_ms" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1])]
log = [json.loads(l) for l in open(sys.argv[2])]
window = 200  # the default --settle-window
shots = [r for r in log if r["path"].endswith("/screenshot")]
trees = [r for r in log if r["path"].endswith("/ui-state")]
def final_obs(s):
    """The poll a screenshot belongs to: it and the tree request overlapping it."""
    t = [t for t in trees if t["start"] < s["end"] and s["start"] < t["end"]]
    start = min([s["start"]] + [x["start"] for x in t])
    end = max([s["end"]] + [x["end"] for x in t])
    return (end - start) * 1000, len(t) > 0
print("device calls +%s ms, LLM +%s ms, settle window %d ms" % (sys.argv[3], sys.argv[4], window))
print("%4s %9s %8s %8s %9s %9s %9s %7s" % ("step", "action", "llm_ms", "act_ms", "final_obs",
                                          "ideal_ms", "step_ms", "ratio"))
ratios = []
for i, st in enumerate(steps):
    tm = st["timings"]
    act = st["action"]["action"] if st.get("action") else "-"
    if act == "done" or i + 1 >= len(shots):
        obs, together = 0.0, True
        ideal = tm["llm_ms"]
    else:
        obs, together = final_obs(shots[i + 1])
        ideal = tm["llm_ms"] + tm["act_ms"] + window + obs
    ratio = tm["step_ms"] / ideal if ideal else 0
    ratios.append(ratio)
    print("%4d %9s %8d %8d %9.0f %9.0f %9d %7.3f%s" % (st["step"], act, tm["llm_ms"],
          tm["act_ms"], obs, ideal, tm["step_ms"], ratio, "" if together else " (sequential)"))
total_ideal = sum(tm["timings"]["step_ms"] / r for tm, r in zip(steps, ratios) if r)
total = sum(s["timings"]["step_ms"] for s in steps)
print("whole run: %d ms measured, %.0f ms ideal, ratio %.3f" % (total, total_ideal,
      total / total_ideal))
PY
