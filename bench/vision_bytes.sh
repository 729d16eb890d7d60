#!/bin/sh
# Bytes sent to the LLM per step with and without --vision: the Dark theme goal on the sim
# phone against the scripted fake OpenAI server, which logs every request's size. Prints the
# mean and total request bytes per step for: no vision, --vision (JPEG, marks), --vision
# --image-format png, --vision --image-max 768.
#
# usage: bench/vision_bytes.sh [build/taploop]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
taploop=${1:-$here/build/taploop}
py=${TL_PYTHON:-python3}
work=$(mktemp -d)
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state"
cat >"$work/dark.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display"},
  {"tool": "tap", "tap_text": "Display"},
  {"tool": "tap", "tap_text": "Dark theme"},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}}
]}
JSON
printf '%-34s %6s %14s %14s\n' "mode" "steps" "bytes/request" "image bytes"
for mode in "none" "--vision" "--vision --image-format png" "--vision --image-max 768"; do
    rm -f "$work/port" "$work/log"
    "$py" "$here/tests/fakes/fake_openai.py" --script "$work/dark.json" --port-file "$work/port" \
        --log "$work/log" --idle-timeout 30 &
    echo $! >"$work/pid"
    while [ ! -s "$work/port" ]; do sleep 0.05; done
    flags=""
    [ "$mode" = none ] || flags=$mode
    # shellcheck disable=SC2086
    "$taploop" run "Turn on Dark theme" --llm-url "http://127.0.0.1:$(cat "$work/port")/v1" \
        --out "$work/run" $flags -q >/dev/null
    kill "$(cat "$work/pid")"
    wait "$(cat "$work/pid")" 2>/dev/null || true
    steps=$(jq -s 'length' "$work/log")
    mean=$(jq -s 'map(.bytes) | add / length | floor' "$work/log")
    img=$(jq -s '[.[] | select(.image) | .image.bytes] | if length > 0 then add / length | floor else 0 end' \
        "$work/run/trajectory.jsonl")
    printf '%-34s %6s %14s %14s\n' "$mode" "$steps" "$mean" "$img"
    rm -rf "$work/run"
done
