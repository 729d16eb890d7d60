#!/bin/sh
# Re-record examples/cassettes/dark-theme.cassette: run taploop itself on the sim phone against
# the scripted OpenAI-compatible test server (tests/fakes/fake_openai.py) answering from
# dark-theme.script.json, recording the exchanges. The README's first command replays it.
# Usage: examples/cassettes/record.sh [path/to/taploop]   (needs python3)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
taploop=${1:-$top/build/taploop}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 "$top/tests/fakes/fake_openai.py" --script "$here/dark-theme.script.json" \
    --port-file "$work/port" --schema "$top/tests/fixtures/openai/chat-completions-schemas.json" &
pid=$!
while [ ! -s "$work/port" ]; do sleep 0.1; done
XDG_STATE_HOME="$work/state" "$taploop" run "Turn on Dark theme" \
    --llm-url "http://127.0.0.1:$(cat "$work/port")/v1" --record "$work/cassette" --no-trace
{
    echo "# replayed by the README's first command; recorded by examples/cassettes/record.sh from a run of"
    echo "# taploop against the scripted test server tests/fakes/fake_openai.py (script: dark-theme.script.json)"
    cat "$work/cassette"
} >"$here/dark-theme.cassette"
echo "wrote $here/dark-theme.cassette"
