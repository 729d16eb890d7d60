#!/bin/sh
# End-to-end: record a run's LLM exchanges to a cassette, replay it with no server at all, and
# a replay miss (exit 3, saying "cassette miss", naming the file, the exchange and what
# differed). The API key never reaches the cassette.
. "$(dirname "$0")/lib.sh"

KEY="sk-test-CASSETTE-9f2b7c41"
cat >"$WORK/dark.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display"},
  {"tool": "tap", "tap_text": "Display"},
  {"tool": "tap", "tap_text": "Dark theme"},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}}
]}
JSON

echo "record"
start_fake "$WORK/dark.json" --require-key "$KEY"
OPENAI_API_KEY="$KEY" run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" \
    --record "$WORK/dark.cassette" --out "$WORK/recorded" --json
json '.success == true'
cp "$OUT" "$WORK/recorded.json"
requests_valid
stop_fake
head -n 1 "$WORK/dark.cassette" | grep -q '^# recorded by taploop' || fail "no comment line"
grep -v '^#' "$WORK/dark.cassette" | jq -e -s 'length == 5 and all(.[]; has("request_sha256")
    and has("request") and has("response"))' >/dev/null || fail "cassette lines"
! grep -qF "$KEY" "$WORK/dark.cassette" || fail "the API key is in the cassette"
! grep -rqF "$KEY" "$WORK/recorded" || fail "the API key is in the trajectory"

echo "recording again starts the cassette afresh; a run that records nothing leaves it as it was"
cp "$WORK/dark.cassette" "$WORK/dark.before"
run 3 "$TAPLOOP" run "Turn on Dark theme" --llm-url "http://127.0.0.1:9/v1" \
    --record "$WORK/dark.cassette" --no-trace
cmp -s "$WORK/dark.cassette" "$WORK/dark.before" || fail "a failed recording changed the cassette"
[ -z "$(find "$WORK" -name 'dark.cassette.tmp-*')" ] || fail "a temporary file is left"
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --record "$WORK/dark.cassette" \
    --no-trace
stop_fake
[ "$(grep -vc '^#' "$WORK/dark.cassette")" = 5 ] || fail "the new run was not recorded afresh"
[ "$(grep -c '^#' "$WORK/dark.cassette")" = 1 ] || fail "comment lines: not one run's"
[ -z "$(find "$WORK" -name 'dark.cassette.tmp-*')" ] || fail "a temporary file is left"

echo "a recording that cannot be put in place: exit 2, naming both files"
mkdir -p "$WORK/busy.cassette/x"
start_fake "$WORK/dark.json"
run 2 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --record "$WORK/busy.cassette" \
    --no-trace --json
stop_fake
json '.success == true'
tmpfile=$(find "$WORK" -name 'busy.cassette.tmp-*')
[ -n "$tmpfile" ] || fail "the recording is lost"
err_has "cannot rename the recording $tmpfile to cassette $WORK/busy.cassette"
[ "$(grep -vc '^#' "$tmpfile")" = 5 ] || fail "the recording is not whole"

echo "replay with no server"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "http://127.0.0.1:9/v1" \
    --replay "$WORK/dark.cassette" --out "$WORK/replayed" --json
json '.success == true and .message == "Dark theme is on." and .steps == 5'
[ "$(jq -c '{status, message, steps, output}' "$OUT")" = \
  "$(jq -c '{status, message, steps, output}' "$WORK/recorded.json")" ] || fail "replay differs"
json '.usage.prompt_tokens > 0'
trajectory_ok "$WORK/replayed"

echo "a replay miss"
run 3 "$TAPLOOP" run "Turn off Dark theme" --llm-url "http://127.0.0.1:9/v1" \
    --replay "$WORK/dark.cassette" --no-trace --json
json '.status == "error" and .steps == 0 and
      (.message | startswith("step 1: cassette miss in '"$WORK"'/dark.cassette: exchange 1: ")) and
      (.message | contains("Turn off Dark theme"))'
err_has "step 1: cassette miss in $WORK/dark.cassette: exchange 1: messages[1].content differs"

echo "a cassette with fewer exchanges than the run needs"
head -n 3 "$WORK/dark.cassette" >"$WORK/short.cassette"
run 3 "$TAPLOOP" run "Turn on Dark theme" --replay "$WORK/short.cassette" --no-trace --json
json '.status == "error" and (.message | contains("cassette miss in '"$WORK"'/short.cassette: exchange 3: the cassette has only 2 exchanges"))'

echo "an unreadable cassette is a usage error"
run 2 "$TAPLOOP" run "Turn on Dark theme" --replay "$WORK/none.cassette" --no-trace
err_has "$WORK/none.cassette"

echo "the cassette the README's first command replays still matches the prompts"
run 0 "$TAPLOOP" run "Turn on Dark theme" --replay "$TL_TESTS/../examples/cassettes/dark-theme.cassette" \
    --no-trace --json
json '.success == true and .message == "Dark theme is on." and .steps == 5' ||
    fail "re-record it with examples/cassettes/record.sh"

echo "e2e run cassette: all passed"
