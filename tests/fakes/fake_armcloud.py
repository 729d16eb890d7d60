#!/usr/bin/env python3
"""A fake ArmCloud / VMOS Cloud OpenAPI server for taploop's tests.

    fake_armcloud.py --port-file FILE --ak AK --sk SK --taploop BIN --workdir DIR
                     [--pad CODE[,status=10][,grade=q2-4][,ip=VALUE]]... [--vmos] [--prefix P]
                     [--log FILE] [--idle-timeout SEC] [--max-skew SEC] [--sync-limit SEC]
                     [--page-rows N] [--output-field errorMsg|taskResult] [--fault JSON]...
                     [--arrivals FILE] [--sig-log FILE] [--echo-auth]
    fake_armcloud.py --self-test VECTORS.json

Listens on 127.0.0.1 (a free port, written to --port-file once listening), HTTP/1.1 keep-alive,
one thread per connection. Every request's signature is checked with this file's own
implementation of the signing algorithm (docs/armcloud.md); a bad one gets the reference's
error 100004 "Invalid key", as does an x-date more than --max-skew seconds off. Shell commands
(syncCmd, asyncCmd) run through FakeDevice.shell() on a sim phone per pad
(tests/fakes/android/fake_device.py), so they are interpreted by a real /bin/sh and an
injection shows. See tests/fakes/README.md. Python 3 standard library only.

It exits by itself after --idle-timeout seconds without a request (default 60), and as soon as
the process that started it dies.
"""

import argparse
import hashlib
import hmac
import json
import os
import secrets
import shlex
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import faultio  # tests/fakes/faultio.py

HERE = os.path.dirname(os.path.abspath(__file__))
HUGE_SIZE = (32 << 20) + 1  # "conn": "huge": one byte over taploop's ArmCloud cap
SERVICE = "armcloud-paas"
SIGNED_HEADERS = "content-type;host;x-content-sha256;x-date"

# ---- signing (the server's own implementation, checked by --self-test) ---------------------


def canonical_string(host, x_date, content_type, body_sha256):
    return ("host:%s\nx-date:%s\ncontent-type:%s\nsignedHeaders:%s\nx-content-sha256:%s"
            % (host, x_date, content_type, SIGNED_HEADERS, body_sha256))


def string_to_sign(x_date, canonical):
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return "HMAC-SHA256\n%s\n%s/%s/request\n%s" % (x_date, x_date[:8], SERVICE, digest)


def signing_key(sk, short_date):
    k = hmac.new(sk.encode("utf-8"), short_date.encode("utf-8"), hashlib.sha256).digest()
    k = hmac.new(k, SERVICE.encode("utf-8"), hashlib.sha256).digest()
    return hmac.new(k, b"request", hashlib.sha256).digest()


def sign(ak, sk, x_date, host, content_type, body):
    """Every intermediate value, as the vectors name them."""
    body_hash = hashlib.sha256(body).hexdigest()
    canon = canonical_string(host, x_date, content_type, body_hash)
    sts = string_to_sign(x_date, canon)
    key = signing_key(sk, x_date[:8])
    sig = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    scope = "%s/%s/request" % (x_date[:8], SERVICE)
    return {
        "x_content_sha256": body_hash,
        "canonical_string": canon,
        "canonical_sha256": hashlib.sha256(canon.encode("utf-8")).hexdigest(),
        "credential_scope": scope,
        "string_to_sign": sts,
        "signing_key_hex": key.hex(),
        "signature": sig,
        "authorization": "HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
                         % (ak, scope, SIGNED_HEADERS, sig),
        "authorization_ak_only": "HMAC-SHA256 Credential=%s, SignedHeaders=%s, Signature=%s"
                                 % (ak, SIGNED_HEADERS, sig),
    }


def parse_authorization(value):
    """(ak, scope or None, signed headers, signature) of an authorization value, or None."""
    if not value or not value.startswith("HMAC-SHA256 "):
        return None
    parts = {}
    for item in value[len("HMAC-SHA256 "):].split(","):
        k, sep, v = item.strip().partition("=")
        if not sep:
            return None
        parts[k] = v
    cred = parts.get("Credential")
    if not cred or "SignedHeaders" not in parts or "Signature" not in parts:
        return None
    ak, _, scope = cred.partition("/")
    return ak, scope or None, parts["SignedHeaders"], parts["Signature"]


def self_test(path):
    """Check this file's signer against every vector; print one line per check."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    failures = 0
    for v in doc["vectors"]:
        got = sign(v["ak"], v["sk"], v["x_date"], v["host"], v["content_type"],
                   v["body"].encode("utf-8"))
        for field, want in v["expected"].items():
            if field == "headers":
                continue
            ok = got.get(field) == want
            failures += not ok
            print("%s %s %s" % ("ok  " if ok else "FAIL", v["name"], field))
        parsed = parse_authorization(v["expected"]["authorization"])
        ok = parsed == (v["ak"], got["credential_scope"], SIGNED_HEADERS, got["signature"])
        failures += not ok
        print("%s %s parse_authorization" % ("ok  " if ok else "FAIL", v["name"]))
    ce = doc["counter_example_seed_garbled_canonical"]
    v = next(x for x in doc["vectors"] if x["name"] == ce["vector"])
    garbled = ce["canonical_string_as_literally_printed_in_seed"]
    key = signing_key(v["sk"], v["x_date"][:8])
    wrong = hmac.new(key, string_to_sign(v["x_date"], garbled).encode("utf-8"),
                     hashlib.sha256).hexdigest()
    ok = wrong == ce["signature_it_would_give"] and wrong != v["expected"]["signature"]
    failures += not ok
    print("%s counter-example gives another signature" % ("ok  " if ok else "FAIL"))
    print("self-test: %s" % ("passed" if failures == 0 else "%d FAILED" % failures))
    return 1 if failures else 0


# ---- paths ---------------------------------------------------------------------------------

OPS = ("syncCmd", "asyncCmd", "executeScriptInfo", "generatePreview", "startApp", "stopApp",
       "appOperateInfo", "infos")
ARMCLOUD_PATHS = {
    "/openapi/open/pad/syncCmd": "syncCmd",
    "/openapi/open/pad/asyncCmd": "asyncCmd",
    "/task-center/open/task/executeScriptInfo": "executeScriptInfo",
    "/openapi/open/pad/generatePreview": "generatePreview",
    "/openapi/open/pad/startApp": "startApp",
    "/openapi/open/pad/stopApp": "stopApp",
    "/task-center/open/task/appOperateInfo": "appOperateInfo",
    "/openapi/open/pad/infos": "infos",
}
VMOS_PATHS = {"/vcpcloud/api/padApi/" + op: op for op in OPS}

ERRORS = {
    100004: "Invalid key",
    110003: "Failed to execute ADB command",
    110012: "Command execution timeout",
    110028: "Instance does not exist",
}


class Pad:
    def __init__(self, spec):
        fields = spec.split(",")
        self.code = fields[0]
        self.status = 10
        self.grade = "q2-4"
        self.ip = ""
        for f in fields[1:]:
            k, _, v = f.partition("=")
            if k == "status":
                self.status = int(v)
            elif k == "grade":
                self.grade = v
            elif k == "ip":
                self.ip = v
            else:
                raise SystemExit("fake_armcloud: --pad %s: unknown field %s" % (spec, k))
        self.device = None


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.n = 0
        self.last_request = time.monotonic()
        self.pads = [Pad(s) for s in (args.pad or ["AC22030010001"])]
        self.tasks = {}  # id -> dict
        self.next_task = 1000
        self.previews = {}  # token -> bytes
        self.faults = [json.loads(f) for f in (args.fault or [])]
        self.paths = VMOS_PATHS if args.vmos else ARMCLOUD_PATHS
        self.prefix = (args.prefix or "").rstrip("/")
        sys.path.insert(0, os.path.join(HERE, "android"))
        import fake_device  # noqa: E402 (tests/fakes/android/fake_device.py)
        self.fake_device = fake_device

    def count(self):
        with self.lock:
            self.n += 1
            self.last_request = time.monotonic()
            return self.n

    def log(self, entry):
        entry.setdefault("end", time.time())
        if not self.args.log:
            return
        with self.lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def arrival(self, entry):
        """--arrivals: one line per POST as soon as it is read (before any delay)."""
        with self.lock:
            with open(self.args.arrivals, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def sig_seen(self, authorization):
        """--sig-log: the authorization value and its Signature, one JSON line each request."""
        parsed = parse_authorization(authorization)
        with self.lock:
            with open(self.args.sig_log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"authorization": authorization,
                                    "signature": parsed[3] if parsed else None}) + "\n")

    def pad(self, code):
        for p in self.pads:
            if p.code == code:
                return p
        return None

    def device(self, pad):
        with self.lock:
            if pad.device is None:
                dev = self.fake_device.FakeDevice(
                    self.args.taploop, pad.code, self.args.workdir,
                    adb_keyboard=self.args.adb_keyboard)
                pad.device = dev
            return pad.device

    def new_task(self, pad, kind, content):
        with self.lock:
            self.next_task += 1
            tid = self.next_task
            self.tasks[tid] = {"taskId": tid, "padCode": pad.code, "kind": kind,
                               "taskStatus": 1, "content": content, "output": "",
                               "endTime": None}
            return tid

    def fault_for(self, op, script, pad=None):
        """The first matching fault with uses left (consumed), or None."""
        with self.lock:
            for f in self.faults:
                if f.get("op", "any") not in (op, "any"):
                    continue
                if "pad" in f and f["pad"] != pad:
                    continue
                if "match" in f and (script is None or f["match"] not in script):
                    continue
                left = f.get("count", 1)
                if left == 0:
                    continue
                if left > 0:
                    f["count"] = left - 1
                return dict(f)
        return None


def envelope(code=200, data=None, msg=None):
    return {"code": code, "msg": msg or ("success" if code == 200 else ERRORS.get(code, "error")),
            "ts": int(time.time() * 1000), "data": data}


def output_fields(state, output, status):
    """The command output where the server puts it: errorMsg (the vendor's real examples) or
    taskResult (the reference)."""
    if state.args.output_field == "taskResult":
        return {"taskResult": output}
    return {"taskResult": "Success" if status == 3 else "Failed", "errorMsg": output}


def run_shell(state, pad, command, timeout):
    rc, out = state.device(pad).shell(command, timeout=timeout)
    return rc, out.decode("utf-8", "replace")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_armcloud/1"

    def log_message(self, format, *args):  # quiet: the --log file is the record
        pass

    def send(self, status, body, headers=None, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        state = self.server.state
        n = state.count()
        path = self.path.split("?", 1)[0]
        token = path[len("/preview/"):-len(".png")] if path.startswith("/preview/") else None
        with state.lock:
            png = state.previews.get(token) if token else None
        state.log({"n": n, "method": "GET", "path": path, "status": 200 if png else 404})
        if png is None:
            return self.send(404, b"<html><body>404 Not Found</body></html>",
                             content_type="text/html")
        self.send(200, png, content_type="image/png")

    def check_signature(self, raw):
        """None when the request is signed right, else why not (never the signature)."""
        args = self.server.state.args
        h = self.headers
        x_date, x_host = h.get("x-date"), h.get("x-host")
        ctype, auth = h.get("content-type"), h.get("authorization")
        if not (x_date and x_host and ctype and auth):
            return "missing x-date, x-host, content-type or authorization"
        if x_host != h.get("Host"):
            return "x-host is not the Host this request was sent to"
        try:
            when = datetime.strptime(x_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return "x-date is not YYYYMMDDTHHMMSSZ"
        skew = abs(time.time() - when.timestamp())
        if skew > args.max_skew:
            return "x-date is %d s off the server's clock (limit %d s)" % (skew, args.max_skew)
        parsed = parse_authorization(auth)
        if not parsed:
            return "malformed authorization"
        ak, scope, signed, sig = parsed
        if ak != args.ak:
            return "unknown access key"
        if signed != SIGNED_HEADERS:
            return "SignedHeaders is not %s" % SIGNED_HEADERS
        want = sign(args.ak, args.sk, x_date, x_host, ctype, raw)
        if scope is not None and scope != want["credential_scope"]:
            return "credential scope does not match x-date"
        if not hmac.compare_digest(sig, want["signature"]):
            return "signature mismatch"
        return None

    def do_POST(self):
        state = self.server.state
        n = state.count()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        path = self.path.split("?", 1)[0]
        rel = path[len(state.prefix):] if path.startswith(state.prefix + "/") else None
        op = state.paths.get(rel) if rel is not None else None
        headers = {k.lower(): ("<redacted>" if k.lower() == "authorization" else v)
                   for k, v in self.headers.items()}
        entry = {"n": n, "method": "POST", "path": path, "op": op, "headers": headers,
                 "start": time.time()}
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            body = None
        entry["body"] = body if body is not None else raw.decode("utf-8", "replace")
        why = self.check_signature(raw)
        entry["sig_ok"] = why is None
        if state.args.arrivals:
            state.arrival({"n": n, "method": "POST", "path": path, "op": op, "body": body})
        if op is None:
            entry.update(status=404)
            state.log(entry)
            return self.send(404, {"code": 404, "msg": "Not Found", "ts": 0, "data": None})
        if state.args.sig_log:  # for the secrets test: every signature seen, apart
            state.sig_seen(self.headers.get("authorization"))
        if why is not None:
            entry.update(status=200, code=100004, why=why)
            state.log(entry)
            if state.args.echo_auth:  # a hostile server: the rejected header echoed back
                auth = self.headers.get("authorization")
                parsed = parse_authorization(auth)
                return self.send(200, envelope(100004, msg="Invalid key: signature %s in %s" % (
                    parsed[3] if parsed else "?", auth)))
            return self.send(200, envelope(100004))
        if not isinstance(body, dict):
            entry.update(status=400)
            state.log(entry)
            return self.send(400, envelope(400, msg="request body is not a JSON object"))
        script = body.get("scriptContent") if isinstance(body.get("scriptContent"), str) else None
        pads = body.get("padCodes") if isinstance(body.get("padCodes"), list) else []
        pad = body.get("padCode") if isinstance(body.get("padCode"), str) else \
            (pads[0] if pads and isinstance(pads[0], str) else None)
        fault = state.fault_for(op, script, pad)
        if fault and "delay_ms" in fault:
            time.sleep(fault["delay_ms"] / 1000.0)
        if fault and "http" in fault:
            extra = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            entry.update(status=fault["http"], fault=True)
            state.log(entry)
            return self.send(fault["http"], {"code": fault["http"], "msg": "fault", "ts": 0,
                                             "data": None}, extra)
        if fault and "raw" in fault:
            entry.update(status=200, fault=True)
            state.log(entry)
            raw_body = fault["raw"]
            return self.send(200, raw_body.encode() if isinstance(raw_body, str) else raw_body)
        if fault and "code" in fault:
            entry.update(status=200, code=fault["code"], fault=True)
            state.log(entry)
            return self.send(200, envelope(fault["code"]))
        result = getattr(self, "op_" + op)(state, body, fault)
        entry.update(status=200, code=result["code"])
        if fault and "conn" in fault:  # a faultio mode, after the work is done
            entry.update(fault=True, conn=fault["conn"])
            state.log(entry)
            data = json.dumps(result, ensure_ascii=False).encode("utf-8")
            if fault["conn"] == "badutf8":
                data = faultio.corrupt_utf8(data, fault.get("key", "errorMsg"))
            return faultio.apply(self, fault["conn"], size=int(fault.get("size", HUGE_SIZE)),
                                 data=data)
        state.log(entry)
        self.send(200, result)

    # ---- operations ----------------------------------------------------------------------

    def one_pad(self, state, body, key):
        """The pad a request names (padCode, or the first of padCodes), or an error envelope."""
        if key == "padCode":
            code = body.get("padCode")
        else:
            codes = body.get("padCodes")
            code = codes[0] if isinstance(codes, list) and codes else None
        pad = state.pad(code) if isinstance(code, str) else None
        if pad is None:
            return None, envelope(110028)
        return pad, None

    def op_infos(self, state, body, fault):
        page = body.get("page") if isinstance(body.get("page"), int) else 1
        rows = body.get("rows") if isinstance(body.get("rows"), int) else 10
        rows = max(1, min(rows, state.args.page_rows))
        pads = state.pads
        if isinstance(body.get("padCodes"), list) and body["padCodes"]:
            pads = [p for p in pads if p.code in body["padCodes"]]
        total_page = max(1, (len(pads) + rows - 1) // rows)
        chunk = pads[(page - 1) * rows:page * rows] if page >= 1 else []
        return envelope(200, {
            "page": page, "rows": rows, "size": len(chunk), "total": len(pads),
            "totalPage": total_page,
            "pageData": [{"padCode": p.code, "padGrade": p.grade, "padStatus": p.status,
                          "groupId": 0, "idcCode": "8e61ad284bc105b877611e6fef7bdd17",
                          "deviceIp": "", "padIp": p.ip, "apps": []} for p in chunk]})

    def op_syncCmd(self, state, body, fault):
        pad, err = self.one_pad(state, body, "padCode")
        if err:
            return err
        script = body.get("scriptContent")
        if not isinstance(script, str) or not script:
            return envelope(110003, msg="scriptContent is required")
        if pad.status != 10:
            return envelope(110003)
        tid = state.new_task(pad, "sync", script)
        if fault and fault.get("task_status") is not None:
            status = fault["task_status"]
            item = {"taskId": tid, "padCode": pad.code, "taskStatus": status}
            item.update(output_fields(state, "", status))
            return envelope(200, [item])
        done = {}

        def work():
            done["result"] = run_shell(state, pad, script, 60)

        t = threading.Thread(target=work, daemon=True)
        t.start()
        t.join(state.args.sync_limit)
        if t.is_alive():  # the 5 s limit: the command goes on, the caller gets 110012
            return envelope(110012)
        rc, output = done["result"]
        item = {"taskId": tid, "padCode": pad.code, "taskStatus": 3}
        item.update(output_fields(state, output, 3))
        return envelope(200, [item])

    def start_task(self, state, pad, kind, content, command, delay_ms=None):
        tid = state.new_task(pad, kind, content)
        delay_ms = state.args.task_delay_ms if delay_ms is None else delay_ms

        def work():
            with state.lock:
                state.tasks[tid]["taskStatus"] = 2
            rc, output = run_shell(state, pad, command, 60)
            if delay_ms:
                time.sleep(delay_ms / 1000.0)
            with state.lock:
                t = state.tasks[tid]
                t["output"] = output
                t["taskStatus"] = 3 if (kind == "script" or rc == 0) else -1
                t["endTime"] = int(time.time() * 1000)

        threading.Thread(target=work, daemon=True).start()
        return tid

    def op_asyncCmd(self, state, body, fault):
        pad, err = self.one_pad(state, body, "padCodes")
        if err:
            return err
        script = body.get("scriptContent")
        if not isinstance(script, str) or not script:
            return envelope(110003, msg="scriptContent is required")
        tid = self.start_task(state, pad, "script", script, script,
                              (fault or {}).get("task_delay_ms"))
        return envelope(200, [{"taskId": tid, "padCode": pad.code,
                               "vmStatus": 1 if pad.status == 10 else 0}])

    def task_infos(self, state, body, kinds):
        ids = body.get("taskIds")
        if not isinstance(ids, list):
            return envelope(110003, msg="taskIds is required")
        out = []
        with state.lock:
            for tid in ids:
                t = state.tasks.get(tid) if isinstance(tid, int) else None
                if t is None or t["kind"] not in kinds:
                    continue
                item = {"taskId": tid, "padCode": t["padCode"], "taskStatus": t["taskStatus"],
                        "endTime": t["endTime"], "taskContent": t["content"]}
                item.update(output_fields(state, t["output"], t["taskStatus"]))
                out.append(item)
        return envelope(200, out)

    def op_executeScriptInfo(self, state, body, fault):
        return self.task_infos(state, body, ("script", "sync"))

    def op_appOperateInfo(self, state, body, fault):
        return self.task_infos(state, body, ("app",))

    def app_op(self, state, body, command):
        pad, err = self.one_pad(state, body, "padCodes")
        if err:
            return err
        pkg = body.get("pkgName")
        if not isinstance(pkg, str) or not pkg:
            return envelope(110008, msg="pkgName is required")
        tid = self.start_task(state, pad, "app", pkg, command % shlex.quote(pkg))
        return envelope(200, [{"taskId": tid, "padCode": pad.code,
                               "vmStatus": 1 if pad.status == 10 else 0}])

    def op_startApp(self, state, body, fault):
        return self.app_op(state, body, "monkey -p %s -c android.intent.category.LAUNCHER 1")

    def op_stopApp(self, state, body, fault):
        return self.app_op(state, body, "am force-stop %s")

    def op_generatePreview(self, state, body, fault):
        pad, err = self.one_pad(state, body, "padCodes")
        if err:
            return err
        png = state.device(pad).screencap_png()
        token = secrets.token_hex(8)
        with state.lock:
            state.previews[token] = png
        url = "http://127.0.0.1:%d/preview/%s.png" % (self.server.server_address[1], token)
        return envelope(200, [{"padCode": pad.code, "accessUrl": url}])


def watchdog(state, idle_timeout, parent):
    while True:
        time.sleep(0.2)
        if os.getppid() != parent:
            os._exit(0)
        with state.lock:
            idle = time.monotonic() - state.last_request
        if idle > idle_timeout:
            os._exit(0)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-test", metavar="VECTORS")
    ap.add_argument("--port-file")
    ap.add_argument("--ak")
    ap.add_argument("--sk")
    ap.add_argument("--taploop")
    ap.add_argument("--workdir")
    ap.add_argument("--pad", action="append")
    ap.add_argument("--vmos", action="store_true")
    ap.add_argument("--prefix", default="")
    ap.add_argument("--log")
    ap.add_argument("--idle-timeout", type=float, default=60.0)
    ap.add_argument("--max-skew", type=int, default=900)
    ap.add_argument("--sync-limit", type=float, default=5.0)
    ap.add_argument("--page-rows", type=int, default=100)
    ap.add_argument("--task-delay-ms", type=int, default=0)
    ap.add_argument("--output-field", choices=("errorMsg", "taskResult"), default="errorMsg")
    ap.add_argument("--adb-keyboard", action="store_true")
    ap.add_argument("--fault", action="append")
    ap.add_argument("--arrivals", help="append one JSON line per POST as soon as it is read")
    ap.add_argument("--sig-log", help="append every authorization value and signature seen")
    ap.add_argument("--echo-auth", action="store_true",
                    help="a hostile server: echo a rejected authorization value in msg")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test(args.self_test)
    for need in ("port_file", "ak", "sk", "taploop", "workdir"):
        if not getattr(args, need):
            ap.error("--%s is required" % need.replace("_", "-"))
    parent = os.getppid()
    state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state
    threading.Thread(target=watchdog, args=(state, args.idle_timeout, parent),
                     daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)  # readers never see a half-written port
    server.serve_forever(poll_interval=0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
