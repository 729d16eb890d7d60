#!/bin/sh
# End-to-end: `taploop run --vision` on the sim phone against the scripted OpenAI-compatible
# server. Every request of a vision run carries exactly one image (a JPEG data URL of the
# marked, downscaled screenshot), none without --vision; the listing and the screen line speak
# the image's pixels, and taps on those points (tap_point_of) land on the right elements, so the
# Dark theme goal succeeds through coordinates alone. The trajectory keeps the image the model
# saw; report.html shows it.
. "$(dirname "$0")/lib.sh"

cat >"$WORK/dark.json" <<'JSON'
{"replies": [
  {"tool": "start_app", "args": {"package": "com.android.settings"}},
  {"tool": "scroll", "args": {"direction": "down"}, "until_listed": "Display"},
  {"tool": "tap", "tap_point_of": "Display"},
  {"tool": "tap", "tap_point_of": "Dark theme"},
  {"tool": "done", "args": {"success": true, "message": "Dark theme is on."}}
]}
JSON

echo "vision: images, coordinates in image pixels"
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --vision --out "$WORK/v" --json
json '.success == true and .status == "completed"'
requests_valid
n=$(wc -l <"$FAKE_LOG")
jq -e -s 'all(.[]; .images == 1)' "$FAKE_LOG" >/dev/null || fail "a vision request without exactly one image"
url=$(jq -r -s '.[0].request.messages[-1].content[] | select(.type == "image_url") | .image_url.url' "$FAKE_LOG")
case "$url" in data:image/jpeg\;base64,/9j/*) ;; *) fail "not a JPEG data URL: $(echo "$url" | head -c 60)" ;; esac
# the image decodes to 461x1024 (the JPEG SOF0 marker holds the size)
echo "${url#data:image/jpeg;base64,}" | base64 -d >"$WORK/sent.jpg"
"$TL_PYTHON" - "$WORK/sent.jpg" <<'PY' || fail "the image sent is not 461x1024"
import struct, sys
d = open(sys.argv[1], "rb").read()
i = 2
while i < len(d):
    marker, length = d[i + 1], struct.unpack(">H", d[i + 2:i + 4])[0]
    if marker in (0xC0, 0xC1, 0xC2):
        h, w = struct.unpack(">HH", d[i + 5:i + 9])
        sys.exit(0 if (w, h) == (461, 1024) else 1)
    i += 2 + length
sys.exit(1)
PY
jq -r -s '.[0].request.messages[-1].content[] | select(.type == "text") | .text' "$FAKE_LOG" \
    >"$WORK/prompt.txt"
grep -q "the attached 461x1024 screenshot (coordinates are its pixels)" "$WORK/prompt.txt" ||
    fail "the prompt does not say the coordinates are the image's"
grep -q '"Settings" clickable long-clickable (57,143)' "$WORK/prompt.txt" ||
    fail "the launcher listing is not in image pixels: $(grep Settings "$WORK/prompt.txt")"
# the taps were given in image pixels and landed in screen pixels on the right elements
jq -e -s '[.[] | select(.action.action == "tap")] | length == 2 and
          all(.[]; .action.x < 461 and .action.y < 1024 and .x > .action.x)' \
    "$WORK/v/trajectory.jsonl" >/dev/null || fail "taps not mapped from image to screen pixels"
jq -e -s 'all(.[]; .image.width == 461 and .image.height == 1024 and .image.bytes > 1000 and
          (.screenshot | test("^step-[0-9]{3}\\.jpg$")))' "$WORK/v/trajectory.jsonl" >/dev/null ||
    fail "the trajectory does not keep the image the model saw"
cmp -s "$WORK/sent.jpg" "$WORK/v/step-001.jpg" || fail "step-001.jpg is not the image sent"
grep -q 'data:image/jpeg;base64,' "$WORK/v/report.html" || fail "report.html lacks the image"
stop_fake

echo "no vision: no image, screen pixels"
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --out "$WORK/nv" --json
jq -e -s 'all(.[]; .images == 0)' "$FAKE_LOG" >/dev/null || fail "an image without --vision"
jq -r -s '.[0].request.messages[-1].content' "$FAKE_LOG" | grep -q '(135,336)' ||
    fail "the listing is not in screen pixels without --vision"
with=$(jq -s 'map(.bytes) | add / length | floor' "$WORK/fake.log")
stop_fake

echo "vision options"
start_fake "$WORK/dark.json"
run 0 "$TAPLOOP" run "Turn on Dark theme" --llm-url "$FAKE_URL" --vision --image-max 512 \
    --image-format png --no-marks --no-trace --json
url=$(jq -r -s '.[0].request.messages[-1].content[] | select(.type == "image_url") | .image_url.url' "$FAKE_LOG")
case "$url" in data:image/png\;base64,*) ;; *) fail "--image-format png ignored" ;; esac
jq -r -s '.[0].request.messages[-1].content[] | select(.type == "text") | .text' "$FAKE_LOG" |
    grep -q "the attached 230x512 screenshot" || fail "--image-max 512 ignored"
stop_fake
run 2 "$TAPLOOP" run "x" --image-max 512
err_has "need --vision"
run 2 "$TAPLOOP" run "x" --vision --image-format gif
err_has "--image-format takes jpeg or png"
echo "ok (mean request without vision: $with bytes)"
