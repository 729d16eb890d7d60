#!/bin/sh
# Re-record examples/suites/cassettes/: run the settings-smoke suite with taploop itself on the
# sim phone against the scripted OpenAI-compatible test server (tests/fakes/fake_openai.py)
# answering from settings-smoke.fake-llm.json, recording one cassette per goal case.
# Usage: examples/suites/record.sh [path/to/taploop]   (needs python3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
taploop=${1:-$top/build/taploop}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 "$top/tests/fakes/fake_openai.py" --script "$here/settings-smoke.fake-llm.json" \
    --port-file "$work/port" --schema "$top/tests/fixtures/openai/chat-completions-schemas.json" &
pid=$!
while [ ! -s "$work/port" ]; do sleep 0.1; done
XDG_STATE_HOME="$work/state" "$taploop" test "$here/settings-smoke.yaml" \
    --llm-url "http://127.0.0.1:$(cat "$work/port")/v1" --record "$work/cassettes" --no-trace
rm -rf "$here/cassettes"
mkdir -p "$here/cassettes"
cp -R "$work/cassettes/." "$here/cassettes/"
echo "wrote $here/cassettes"
