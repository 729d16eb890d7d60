#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/corpus/ (docs/fuzzing.md): copies of the fixtures of
tests/fixtures/ and examples/, plus hand-made edge cases. Run from anywhere; it only adds or
overwrites the seeds it knows (regression inputs and fuzzer-found inputs are kept).

Targets that fuzz several parsers take a first byte that picks the parser (fuzz.h, fuzz_pick):
their seeds start with that byte."""
import base64
import glob
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures")
CORPUS = os.path.join(HERE, "corpus")
SEP = b"\n--8<--\n"


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def copy(target, pattern, prefix=""):
    for path in sorted(glob.glob(os.path.join(ROOT, pattern))):
        with open(path, "rb") as f:
            put(target, prefix + os.path.basename(path), f.read())


def picked(target, which, name, body):
    if isinstance(body, str):
        body = body.encode()
    put(target, "%d-%s" % (which, name), bytes([which]) + body)


# ---- ui_json / ui_xml -------------------------------------------------------------------------
copy("ui_json", "tests/fixtures/ui/*.json")
copy("ui_json", "tests/fixtures/portal/real-*.json", "portal-")
for name, text in {
    "empty-object.json": "{}",
    "empty-array.json": "[]",
    "a11y-tree-only.json": '{"a11y_tree":[{"className":"A","bounds":"0,0,10,10","children":[]}]}',
    "negative-bounds.json": '{"a11y_tree":[{"className":"X","text":"t","bounds":"-5,-5,-1,-1",'
    '"isClickable":true,"children":[{"className":"Y","bounds":"2147483647,0,-2147483648,9"}]}],'
    '"phone_state":{"currentApp":"A","packageName":"p","keyboardVisible":true},'
    '"device_context":{"screen_bounds":{"width":0,"height":-1}}}',
    "password.json": '[{"className":"android.widget.EditText","text":"hunter2","isPassword":true,'
    '"bounds":"0,0,100,50","index":1}]',
    "deep.json": '{"children":[' * 70 + "]}" * 70,
    "nul-and-bad-utf8.json": b'[{"text":"a\\u0000b\xff\xfe","className":"\xc0\x80"}]'.decode(
        "latin-1"),
}.items():
    put("ui_json", name, text.encode("latin-1") if "bad-utf8" in name else text)
copy("ui_xml", "tests/fixtures/ui/*.xml")
for name, text in {
    "minimal.xml": "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
    '<node index="0" text="" class="android.widget.FrameLayout" package="p" '
    'bounds="[0,0][1080,2400]" clickable="true"/></hierarchy>',
    "rotated-bad-bounds.xml": '<hierarchy rotation="3"><node bounds="[9,9][1,1]" text="&amp;&#0;">'
    '<node bounds="[-1,-1][99999999999,5]" password="true" text="secret"/></node></hierarchy>',
    "deep.xml": "<hierarchy>" + "<node>" * 70 + "</node>" * 70 + "</hierarchy>",
    "entities.xml": '<!DOCTYPE h [<!ENTITY a "aaaa">]><hierarchy><node text="&a;&a;"/></hierarchy>',
    "truncated.xml": '<hierarchy><node text="x" bounds="[0,0][1',
}.items():
    put("ui_xml", name, text)

# ---- llm_reply --------------------------------------------------------------------------------
copy("llm_reply", "tests/fixtures/openai/responses/*.json")
copy("llm_reply", "tests/fixtures/openai/responses-lenient/*.json", "lenient-")
for name, text in {
    "action-tap.json": '{"action":"tap","index":3,"reason":"open it"}',
    "action-swipe.json": '{"action":"swipe","x":1,"y":2,"x2":300,"y2":400,"duration_ms":10}',
    "action-type.json": '{"action":"type","text":"caf\\u00e9 \\ud83d\\ude00","index":2,"clear":true}',
    "action-done.json": '{"action":"done","success":true,"message":"ok","output":{"a":[1,{"b":null}]}}',
    "action-start.json": '{"action":"start_app","package":"com.a.b","activity":".Main"}',
    "action-bad.json": '{"action":"wait","ms":1e308}',
    "action-key.json": '{"action":"press_key","key":"back"}',
    "action-scroll.json": '{"action":"scroll","direction":"down","index":-1}',
}.items():
    put("llm_reply", name, text)

# ---- cassette ---------------------------------------------------------------------------------
with open(os.path.join(ROOT, "examples", "cassettes", "dark-theme.cassette"), "rb") as f:
    lines = f.read().split(b"\n")
comments = [l for l in lines if l.startswith(b"#")]
exchanges = [l for l in lines if l.startswith(b"{")]
first = json.loads(exchanges[0])
req = json.dumps(first["request"], separators=(",", ":"), ensure_ascii=False).encode()
put("cassette", "dark-theme-1.cassette", b"\n".join(comments + exchanges[:1]) + b"\n")
put("cassette", "dark-theme-1-hit.cassette", exchanges[0] + SEP + req + b"\n")
changed = req.replace(b"Dark", b"Dork", 1)
put("cassette", "dark-theme-1-miss.cassette", exchanges[0] + SEP + changed + b"\n" + req + b"\n")
put("cassette", "dark-theme-2.cassette", b"\n".join(exchanges[:2]) + SEP + req + b"\n" + req)
put("cassette", "empty.cassette", b"")
put("cassette", "comment-only.cassette", b"# nothing recorded\n\n   \n")
put("cassette", "bad-sha.cassette",
    b'{"n":1,"request_sha256":"' + b"0" * 64 + b'","request":{},"response":{}}\n')
put("cassette", "not-json.cassette", b'{"n":1,\n' + SEP + b'{"messages":[]}')

# ---- mobilerun --------------------------------------------------------------------------------
DEV = ('{"id":"d-1","name":"Pixel \\u0007 mr_fuzz_secret_key","state":"ready",'
       '"type":"dedicated_emulated_device","stateMessage":"line1\\nline2"}')
picked("mobilerun", 0, "device.json", DEV)
picked("mobilerun", 0, "device-minimal.json", '{"id":"x"}')
picked("mobilerun", 1, "page.json", '{"items":[%s,{"id":"d-2","state":"creating"}],'
       '"pagination":{"hasNext":false,"page":1,"pages":1,"total":2}}' % DEV)
picked("mobilerun", 1, "page-no-meta.json", '{"items":[]}')
picked("mobilerun", 2, "apps.json", '[{"packageName":"com.a","label":"A"},{"packageName":7}]')
picked("mobilerun", 3, "packages.json", '["com.android.settings","com.b",null]')
picked("mobilerun", 4, "ui-state.json", '{"a11y_tree":[],"phone_state":{}}')
picked("mobilerun", 5, "screenshot-b64.json",
       json.dumps("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"x" * 40)
                  .decode()))
picked("mobilerun", 5, "screenshot-png.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 20)
picked("mobilerun", 6, "problem.json", '{"title":"Not Found","status":404,"detail":"no device '
       'mr_fuzz_secret_key","errors":[{"location":"body.x","message":"bad"}]}')
picked("mobilerun", 7, "status-body.json", '{"title":"Too Many","detail":"slow down"}')
picked("mobilerun", 8, "sanitize.txt", "caf\xe9 \x1b[31m mr_fuzz_secret_key " + "x" * 120)

# ---- armcloud ---------------------------------------------------------------------------------
TASK = ('{"code":200,"msg":"success","ts":1713773577581,"data":[{"taskId":42,"padCode":'
        '"AC22030010001","taskStatus":3,"vmStatus":1,"taskResult":"ok\\n","errorMsg":""}]}')
picked("armcloud", 0, "envelope-ok.json", '{"code":200,"msg":"success","ts":1,"data":null}')
picked("armcloud", 0, "envelope-error.json", '{"code":110012,"msg":"timeout","ts":1}')
picked("armcloud", 0, "envelope-unknown.json", '{"code":-7,"msg":"\\u0000what"}')
picked("armcloud", 1, "sync-cmd.json", TASK)
picked("armcloud", 2, "script-info.json", TASK)
picked("armcloud", 2, "task-object.json", '{"code":200,"data":{"taskId":"42","padCode":"A",'
       '"taskStatus":-4,"errorMsg":"boom"}}')
picked("armcloud", 3, "preview.json", '{"code":200,"data":[{"padCode":"AC22030010001",'
       '"accessUrl":"https://example.invalid/s.png"}]}')
picked("armcloud", 4, "pad-infos.json", '{"code":200,"data":{"page":1,"totalPage":3,"pageData":['
       '{"padCode":"AC22030010001","padIp":"10.0.0.1","padStatus":10,"padGrade":"q2-4"},'
       '{"padCode":"B","padIp":"AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==","padStatus":11}]}}')
picked("armcloud", 5, "dump-output.txt", "1080x2400\nUI hierchary dumped to: /sdcard/window_dump.xml"
       "\n120\n<?xml version='1.0' ?><hierarchy rotation=\"0\"></hierarchy>")
picked("armcloud", 6, "chunk.txt", "abc\xe4\xbd")
picked("armcloud", 6, "chunk-fffd.txt", "abc\xef\xbf\xbd\xef\xbf\xbd")
picked("armcloud", 7, "image-png.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10" + b"\0" * 80)
picked("armcloud", 7, "image-html.bin", "<html><body>403</body></html>")
picked("armcloud", 8, "encrypted.txt", "AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAA")
picked("armcloud", 9, "base-url.txt", "https://openapi-hk.armcloud.net:8443/prefix/")

# ---- adb --------------------------------------------------------------------------------------
picked("adb", 0, "status-stream.bin", "OKAYFAIL0017device 'xyz' not foundOKAY")
picked("adb", 0, "status-truncated.bin", "FAIL00ff short")
picked("adb", 1, "block.bin", "00040029")
picked("adb", 2, "version.txt", "0029")
picked("adb", 3, "devices-l.txt",
       "List of devices attached\nemulator-5554          device product:sdk_gphone64_x86_64 "
       "model:sdk_gphone64_x86_64 device:emu64xa transport_id:1\n"
       "R58M123ABC             unauthorized usb:1-1 transport_id:2\n"
       "192.168.1.5:5555       offline\n"
       "0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev group); "
       "see [http://developer.android.com/tools/device.html] usb:1-2\n\n")
picked("adb", 3, "devices.txt", "emulator-5554\tdevice\nemulator-5556\tdevice\n")
picked("adb", 4, "shell-exit.txt", "hello\nworld\n:taploop-exit=0\n")
picked("adb", 4, "shell-exit-crlf.txt", "x\r\n:taploop-exit=255\r\n")
picked("adb", 5, "png-complete.bin", b"\x89PNG\r\n\x1a\n" + b"\0" * 8 + b"\0\0\0\0IEND\xaeB`\x82")
picked("adb", 6, "excerpt.txt", "first line \x01\x02 with control\nsecond")
picked("adb", 7, "socket-tcp.txt", "tcp:[::1]:5037")
picked("adb", 7, "socket-unix.txt", "localfilesystem:/tmp/adb.sock")
picked("adb", 7, "socket-abstract.txt", "localabstract:adb")

# ---- adbshell ---------------------------------------------------------------------------------
picked("adbshell", 0, "start-ok.txt", "Events injected: 1\n## Network stats: elapsed time=12ms\n")
picked("adbshell", 0, "start-missing.txt", "** No activities found to run, monkey aborted.\n")
picked("adbshell", 0, "start-error3.txt", "Error type 3\nError: Activity class {com.example.app/"
       ".Main} does not exist.\n")
picked("adbshell", 1, "dump-ok.txt", "UI hierchary dumped to: /sdcard/window_dump.xml\n")
picked("adbshell", 1, "dump-idle.txt", "ERROR: could not get idle state.\n")
picked("adbshell", 2, "find-xml.txt", "UI hierchary dumped to: /dev/tty\n<?xml version='1.0' ?>"
       "<hierarchy rotation=\"0\"><node/></hierarchy>\n")
picked("adbshell", 3, "size.txt", "  123456\n")
picked("adbshell", 4, "wm-size.txt", "Physical size: 1440x3200\nOverride size: 1080x2400\n")
picked("adbshell", 5, "focus.txt", "  mCurrentFocus=Window{1a2b3c u0 com.android.settings/"
       "com.android.settings.Settings}\n  mFocusedApp=ActivityRecord{9 u0 com.other/.Main t12}\n")
picked("adbshell", 5, "focus-null.txt", "  mCurrentFocus=null\n  mFocusedApp=null\n")
picked("adbshell", 6, "packages.txt", "package:com.android.settings\npackage:com.a.b\nnoise\n"
       "package:\n")
picked("adbshell", 7, "ime.txt", "com.android.adbkeyboard/.AdbIME\n")


# ---- image ------------------------------------------------------------------------------------
def png(w, h, color_type, bit_depth, rows, extra=b""):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def plte_chunk():
    d = bytes(range(48))
    return struct.pack(">I", len(d)) + b"PLTE" + d + struct.pack(">I", zlib.crc32(b"PLTE" + d))


put("image", "rgb-8x6.png",
    png(8, 6, 2, 8, [bytes(sum(([x * 30, y * 40, 99] for x in range(8)), [])) for y in range(6)]))
put("image", "rgba-4x4.png", png(4, 4, 6, 8, [bytes([200, 10, 10, 128] * 4)] * 4))
put("image", "gray-5x3.png", png(5, 3, 0, 8, [bytes([0, 64, 128, 192, 255])] * 3))
put("image", "gray16-2x2.png", png(2, 2, 0, 16, [b"\xff\xff\x00\x00"] * 2))
put("image", "palette-4x2.png", png(4, 2, 3, 8, [bytes([0, 1, 2, 15])] * 2, plte_chunk()))
put("image", "gray1-9x2.png", png(9, 2, 0, 1, [b"\xaa\x80"] * 2))
put("image", "huge-header.png", png(16384, 16384, 2, 8, [b""]))
put("image", "truncated.png", png(8, 8, 2, 8, [b"\x10" * 24] * 8)[:60])
put("image", "jpeg-soi-only.jpg", b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9")

# ---- schema -----------------------------------------------------------------------------------
put("schema", "object.json", json.dumps({
    "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t",
    "type": "object", "required": ["version", "model"], "additionalProperties": False,
    "properties": {"version": {"type": "string"}, "model": {"type": ["string", "null"]},
                   "items": {"type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}},
                   "k": {"const": {"a": [1, 2.5, True]}}}}).encode() + SEP +
    b'{"version":1,"items":[1,4,2.5],"extra":true,"k":{"a":[1,2.5,false]}}')
put("schema", "additional-schema.json", b'{"type":"object","additionalProperties":{"type":'
    b'"boolean"}}' + SEP + b'{"a":true,"b":"no"}')
put("schema", "unsupported.json", b'{"type":"string","pattern":"^a"}')
put("schema", "bool-schema.json", b'true' + SEP + b'null')
put("schema", "nested.json", b'{"type":"array","items":' * 20 + b'{}' + b'}' * 20 + SEP +
    b'[' * 25 + b']' * 25)
put("schema", "bad-instance.json", b'{"type":"number"}' + SEP + b'{"unterminated')

# ---- sim_model --------------------------------------------------------------------------------
copy("sim_model", "drivers/sim/demo-phone.json")
copy("sim_model", "tests/fixtures/sim/loading.json")
copy("sim_model", "examples/sim/*.json")
