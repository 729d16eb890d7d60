#!/bin/sh
# End-to-end: the built taploop binary driving the sim phone through observe / act / devices,
# the way a user does it. Needs $TAPLOOP (the binary) and $TL_FIXTURES (tests/fixtures); uses a
# private state directory, so it never touches the user's phones.
. "$(dirname "$0")/lib.sh"

# index_of TEXT: the listing index of the line whose first label is "TEXT"
index_of() {
    "$TAPLOOP" observe >"$OUT" 2>"$ERR" || fail "observe failed"
    sed -n "s/^\[\([0-9]*\)\] [A-Za-z]* \"$1\".*/\1/p" "$OUT" | head -n 1
}

echo "launcher"
run 0 "$TAPLOOP" observe
has 'Launcher (com.android.launcher3)'
has '] TextView "Settings" clickable long-clickable ('

echo "open Settings, Display needs scrolling"
run 0 "$TAPLOOP" act tap --text Settings
has 'ok: tap ['
run 0 "$TAPLOOP" observe
has 'Settings (com.android.settings)'
hasnt '"Display"'
found=""
for _ in 1 2 3 4 5; do
    run 0 "$TAPLOOP" act scroll down
    run 0 "$TAPLOOP" observe
    if grep -qF '"Display"' "$OUT"; then
        found=yes
        break
    fi
done
[ -n "$found" ] || fail "Display never appeared while scrolling"

echo "open Display, turn on Dark theme, verify with observe"
idx=$(index_of Display)
[ -n "$idx" ] || fail "no index for Display"
run 0 "$TAPLOOP" act tap --index "$idx"
run 0 "$TAPLOOP" observe
has 'Switch "Dark theme" checked=false clickable'
idx=$(index_of "Dark theme")
run 0 "$TAPLOOP" act tap --index "$idx"
run 0 "$TAPLOOP" observe --screenshot "$WORK/screen.png"
has 'Switch "Dark theme" checked=true clickable'
err_has "screenshot saved to $WORK/screen.png"
magic=$(head -c 8 "$WORK/screen.png" | od -An -tx1 | tr -d ' \n')
[ "$magic" = "89504e470d0a1a0a" ] || fail "screenshot is not a PNG ($magic)"

echo "--json"
run 0 "$TAPLOOP" observe --json
jq -e '.driver == "sim" and .device == "sim" and .ui.screen.width == 1080 and
       (.ui.elements | length) == .ui.count and
       ([.ui.elements[] | select(.text == "Dark theme") | .flags | index("checked")] | length) == 1' \
    "$OUT" >/dev/null || fail "--json output"
run 0 "$TAPLOOP" act press_key back --json
jq -e '.ok == true and .action.action == "press_key" and .action.key == "back"' "$OUT" >/dev/null ||
    fail "act --json output"

echo "scroll by the index of a row's text scrolls the list it is in"
run 0 "$TAPLOOP" act start_app com.android.settings --device sim:scroll
run 0 "$TAPLOOP" observe --device sim:scroll
row=$(sed -n 's/^\[\([0-9]*\)\] TextView "Network & internet".*/\1/p' "$OUT")
title=$(sed -n 's/^\[\([0-9]*\)\] TextView "Settings".*/\1/p' "$OUT")
[ -n "$row" ] && [ -n "$title" ] || fail "no index for the first row or the title"
run 0 "$TAPLOOP" act scroll down --index "$row" --device sim:scroll
has "scroll down [$row] in ["
has "] RecyclerView id=list scrollable"
run 0 "$TAPLOOP" observe --device sim:scroll
hasnt '"Network & internet"'
before=$(cat "$OUT")
run 1 "$TAPLOOP" act scroll down --index "$title" --device sim:scroll
err_has "act scroll: [$title] TextView \"Settings\" is not scrollable and is not inside a scrollable element"
run 0 "$TAPLOOP" observe --device sim:scroll
[ "$(cat "$OUT")" = "$before" ] || fail "a refused scroll changed the screen"

echo "refused actions send nothing and exit 1"
run 0 "$TAPLOOP" observe
before=$(cat "$OUT")
run 1 "$TAPLOOP" act tap --index 999
err_has "index 999 is not in the current listing ([1].."
run 1 "$TAPLOOP" act tap 5000 10
err_has "outside the 1080x2400 screen"
run 1 "$TAPLOOP" act tap --text "Dark them"
err_has "no visible element matches {text: \"Dark them\"}"
run 0 "$TAPLOOP" observe
[ "$(cat "$OUT")" = "$before" ] || fail "a refused action changed the screen"

echo "usage errors exit 2"
run 2 "$TAPLOOP" act bogus
err_has 'unknown action "bogus"'
run 2 "$TAPLOOP" act tap 1
err_has "act tap: missing Y (screen pixels)"
err_has "usage: taploop act tap"
echo "act's argument errors name the argument, the value and the rule"
run 0 "$TAPLOOP" act wait 10
run 2 "$TAPLOOP" act wait 20000
err_has "act wait: 20000 ms is more than the 10000 ms a wait may last"
err_has "usage: taploop act wait MS"
run 2 "$TAPLOOP" act wait -5
err_has "act wait: -5 ms is negative: a wait lasts 0 to 10000 ms"
run 2 "$TAPLOOP" act wait soon
err_has "act wait: MS 'soon' is not a number of milliseconds"
run 2 "$TAPLOOP" act wait
err_has "act wait: missing MS (milliseconds, at most 10000)"
run 2 "$TAPLOOP" act wait 10 20
err_has "act wait: unexpected argument '20' after MS"
run 2 "$TAPLOOP" act swipe 100 200 300 400 --duration 5
err_has "act swipe: --duration 5 ms is less than the 10 ms a swipe lasts at least"
run 2 "$TAPLOOP" act swipe 100 200 300 400 --duration 70000
err_has "act swipe: --duration 70000 ms is more than the 60000 ms a swipe may last"
run 2 "$TAPLOOP" act long_press 100 200 --duration 0
err_has "act long_press: --duration 0 ms is less than the 1 ms a long press lasts at least"
run 2 "$TAPLOOP" act tap 100 200 --duration 50
err_has "act tap: --duration goes with long_press and swipe"
run 2 "$TAPLOOP" act tap -5 10
err_has "act tap: X -5 is negative: coordinates are screen pixels, 0 or more"
run 2 "$TAPLOOP" act swipe 100 200 300 -40
err_has "act swipe: Y2 -40 is negative: coordinates are screen pixels, 0 or more"
run 2 "$TAPLOOP" act tap left 10
err_has "act tap: X 'left' is not a number of screen pixels"
run 2 "$TAPLOOP" act tap 100 200000
err_has "act tap: Y 200000 is more than 100000, beyond any screen"
run 2 "$TAPLOOP" act swipe 100 200 300
err_has "act swipe: missing Y2 (screen pixels)"
run 2 "$TAPLOOP" act tap
err_has "act tap: no target: give a point X Y (screen pixels), --index N or a selector"
run 2 "$TAPLOOP" act tap 100 200 --index 3
err_has "act tap: unexpected argument '100': --index already names the target"
run 2 "$TAPLOOP" act scroll down --index 0
err_has "act scroll: --index '0' is not a listing index ([1] or more"
run 2 "$TAPLOOP" act scroll sideways
err_has "act scroll: unknown direction 'sideways' (up, down, left or right)"
run 2 "$TAPLOOP" act scroll
err_has "act scroll: missing DIRECTION (up, down, left or right)"
run 2 "$TAPLOOP" act press_key menu
err_has "act press_key: unknown key 'menu' (back, home, recent, enter, delete, tab or forward_delete)"
run 2 "$TAPLOOP" act start_app
err_has "act start_app: missing PACKAGE (an Android package name"
run 2 "$TAPLOOP" observe --bogus
err_has "unknown option '--bogus'"
run 2 "$TAPLOOP" observe --driver nope
err_has 'unknown driver "nope"'
run 2 "$TAPLOOP" observe --device "$WORK/missing.json"
err_has "$WORK/missing.json"
run 2 "$TAPLOOP" act tap --text '/(/'
err_has "bad regular expression"
run 2 "$TAPLOOP"
run 0 "$TAPLOOP" --help
has "observe"
run 0 "$TAPLOOP" --version
has "taploop "

echo "--from saved dumps"
run 0 "$TAPLOOP" observe --from "$TL_FIXTURES/ui/macyolo-hermes-password-field.xml"
has 'EditText "•••" hint="sk-..." clickable long-clickable editable password'
run 0 "$TAPLOOP" observe --from "$TL_FIXTURES/portal/synth-n100.json" --json
jq -e '.ui.count == 100 and .driver == null' "$OUT" >/dev/null || fail "--from --json"
head -c 5000 "$TL_FIXTURES/portal/synth-n100.json" >"$WORK/cut.json"
run 2 "$TAPLOOP" observe --from "$WORK/cut.json"
err_has "$WORK/cut.json: invalid ui-state JSON at byte "
run 2 "$TAPLOOP" observe --from "$WORK/missing.xml"
err_has "cannot open $WORK/missing.xml"
cat "$TL_FIXTURES/ui/xiaocong-uiautomator-launcher-jb-480x800.xml" |
    run 0 "$TAPLOOP" observe --from -
has 'TextView "Browser" clickable long-clickable'

echo "independent named phones, devices, reset"
run 0 "$TAPLOOP" act start_app com.android.contacts --device sim:alice
run 0 "$TAPLOOP" observe --device sim:alice
has "Contacts (com.android.contacts)"
run 0 "$TAPLOOP" observe --device sim:bob
has "Launcher (com.android.launcher3)"
run 0 "$TAPLOOP" devices
has "sim:alice"
has "sim:bob"
run 0 "$TAPLOOP" devices --json
jq -e '[.devices[].id] | index("sim") != null' "$OUT" >/dev/null || fail "devices --json"
run 2 "$TAPLOOP" observe --device "sim:a/b"
run 0 "$TAPLOOP" act reset --device sim:alice
run 0 "$TAPLOOP" observe --device sim:alice
has "Launcher (com.android.launcher3)"
run 2 "$TAPLOOP" act start_app Settings
err_has "is not an Android package name"
run 1 "$TAPLOOP" act start_app com.example.missing
err_has "com.example.missing is not installed"

echo "the sim's XML form lists the same screen"
run 0 "$TAPLOOP" act start_app com.android.settings --device sim:fmt
run 0 "$TAPLOOP" observe --device sim:fmt
sed 1d "$OUT" >"$WORK/json.txt"
TAPLOOP_SIM_FORMAT=xml run 0 "$TAPLOOP" observe --device sim:fmt
sed 1d "$OUT" >"$WORK/xml.txt"
cmp -s "$WORK/json.txt" "$WORK/xml.txt" || fail "JSON and XML listings differ: $(diff "$WORK/json.txt" "$WORK/xml.txt")"

echo "typing, and a password never reaches stdout or disk"
run 0 "$TAPLOOP" act start_app com.example.notes --device sim:pw
run 1 "$TAPLOOP" act type "nobody" --device sim:pw
err_has "no text field has focus"
run 0 "$TAPLOOP" act type "demo@example.com" --id email --device sim:pw
run 0 "$TAPLOOP" act type "Wr0ng-Secret-42" --id password --device sim:pw
has 'type "•••"'
hasnt "Wr0ng-Secret-42"
run 0 "$TAPLOOP" observe --device sim:pw --json
hasnt "Wr0ng-Secret-42"
run 0 "$TAPLOOP" observe --device sim:pw
has 'EditText "•••" hint="Password"'
if grep -rqF "Wr0ng-Secret-42" "$XDG_STATE_HOME"; then
    fail "the typed password is in the state directory"
fi
run 0 "$TAPLOOP" act tap --text "Sign in" --device sim:pw
run 0 "$TAPLOOP" observe --device sim:pw
has '"Wrong email or password"'
run 0 "$TAPLOOP" act type "hunter2" --id password --device sim:pw
run 0 "$TAPLOOP" act tap --text "Sign in" --device sim:pw
run 0 "$TAPLOOP" observe --device sim:pw
has "My notes"
has '"Shopping list"'

echo "e2e sim cli: all passed"
