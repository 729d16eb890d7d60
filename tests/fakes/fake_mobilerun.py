#!/usr/bin/env python3
"""A fake Mobilerun REST API for taploop's tests, serving simulated phones.

    fake_mobilerun.py --taploop PATH --port-file FILE [--config FILE] [--key KEY] [--log FILE]
                      [--idle-timeout SEC] [--model FILE] [--static] [--latency-ms MS]
                      [--arrivals FILE] [--echo-key]

Listens on 127.0.0.1 (a free port, written to --port-file once listening) under /v1, like
https://api.mobilerun.ai/v1, and answers the device endpoints of the Mobilerun API reference
with the reference's shapes. Every device is a phone of taploop's sim driver, driven through the
built binary (`taploop observe --dump -`, `observe --screenshot`, `act ...` with
`--device sim:<phone>`) in a private XDG_STATE_HOME, so the phones are independent and behave
exactly as the sim does. Every request is checked against the reference (method, path, query,
Bearer key, Content-Type, body keys and types); a violation is answered 400/422 and logged.
Faults (statuses, Retry-After, delays, truncated bodies, and the connection faults of
faultio.py with "conn": reset, truncate, hang, huge, badutf8) come from the config's "faults".
--static serves every device from one snapshot of a fresh phone (its ui-state and screenshot,
taken once at start) and acknowledges actions without running anything, after --latency-ms:
a fast server for many devices (batch tests and benchmarks).
See tests/fakes/README.md. Python 3 standard library only.

It exits by itself after --idle-timeout seconds without a request (default 30), and as soon as
the process that started it dies.
"""

import argparse
import fnmatch
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import faultio  # tests/fakes/faultio.py

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.join(HERE, "..", "..", "drivers", "sim", "demo-phone.json")
HUGE_SIZE = (64 << 20) + 1  # "conn": "huge": one byte over taploop's largest Mobilerun cap

DEVICE_TYPES = ["dedicated_emulated_device", "dedicated_physical_device",
                "dedicated_premium_device"]
STATES = ["creating", "assigned", "ready", "disconnected", "terminated", "maintenance",
          "unknown"]
GLOBAL_KEYS = {1: "back", 2: "home", 3: "recent"}
KEYCODES = {4: "back", 61: "tab", 66: "enter", 67: "delete", 112: "forward_delete"}
LONG_PRESS_MS = 500  # a stationary swipe this long is a long press (Android's timeout)

REASONS = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 415:
           "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
           504: "Gateway Timeout"}
DETAILS = {401: "Invalid API key.", 402: "Insufficient credits.",
           403: "device_slot limit reached", 404: "device not found",
           429: "rate limit exceeded", 500: "internal server error", 502: "bad gateway",
           503: "service unavailable", 504: "gateway timeout"}


def problem(status, detail=None, errors=None):
    """An error body as the reference gives it (RFC 7807)."""
    return {"title": REASONS.get(status, "Error"), "status": status,
            "detail": detail if detail is not None else DETAILS.get(status, "error"),
            "errors": errors or []}


class Violation(Exception):
    """A request that does not follow the reference: (status, message, location)."""

    def __init__(self, status, message, location=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.location = location


# ---- request checks ----------------------------------------------------------------------------

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# body specs: key -> (check, required, description)
def _int_min(lo):
    return lambda v: is_int(v) and v >= lo


BODIES = {
    "tap": {"x": (_int_min(0), True, "an integer >= 0"), "y": (_int_min(0), True,
                                                               "an integer >= 0")},
    "swipe": {"startX": (_int_min(0), True, "an integer >= 0"),
              "startY": (_int_min(0), True, "an integer >= 0"),
              "endX": (_int_min(0), True, "an integer >= 0"),
              "endY": (_int_min(0), True, "an integer >= 0"),
              "duration": (_int_min(10), True, "an integer >= 10 (milliseconds)")},
    "global": {"action": (lambda v: is_int(v) and v in GLOBAL_KEYS, True, "1, 2 or 3")},
    "type": {"text": (lambda v: isinstance(v, str), True, "a string"),
             "clear": (lambda v: isinstance(v, bool), True, "a boolean")},
    "key": {"key": (lambda v: is_int(v) and v in KEYCODES, True,
                    "one of the keycodes 4, 61, 66, 67, 112")},
    "start_app": {"activity": (lambda v: isinstance(v, str) and v != "", False,
                               "a non-empty string")},
    "empty": {},
    "provision": {"name": (lambda v: isinstance(v, str), False, "a string"),
                  "apps": (lambda v: isinstance(v, list) and all(isinstance(a, str) for a in v),
                           False, "an array of strings")},
}


def check_body(spec, body):
    if not isinstance(body, dict):
        raise Violation(422, "expected a JSON object", "body")
    for k in body:
        if k not in spec:
            raise Violation(422, "unexpected property", "body." + k)
    for k, (ok, required, want) in spec.items():
        if k not in body:
            if required:
                raise Violation(422, "expected required property %s to be present" % k,
                                "body." + k)
            continue
        if not ok(body[k]):
            raise Violation(422, "expected %s" % want, "body." + k)


def _bool_param(v):
    return v in ("true", "false")


def _int_param(lo, hi):
    def ok(v):
        return re.fullmatch(r"[0-9]{1,9}", v) is not None and lo <= int(v) <= hi
    return ok


# query specs: name -> (check, multi allowed, description)
QUERIES = {
    "list": {"state": (lambda v: v in STATES, True, "a device state"),
             "type": (lambda v: v in DEVICE_TYPES, False, "a device type"),
             "name": (lambda v: True, False, "a string"),
             "page": (_int_param(1, 1000000), False, "an integer >= 1"),
             "pageSize": (_int_param(1, 100), False, "an integer 1..100"),
             "orderBy": (lambda v: v in ("id", "createdAt", "updatedAt", "assignedAt"), False,
                         "id, createdAt, updatedAt or assignedAt"),
             "orderByDirection": (lambda v: v in ("asc", "desc"), False, "asc or desc")},
    "provision": {"deviceType": (lambda v: v in DEVICE_TYPES, False, "a device type")},
    "screenshot": {"hideOverlay": (_bool_param, False, "true or false")},
    "ui_state": {"filter": (_bool_param, False, "true or false")},
    "apps": {"includeSystemApps": (_bool_param, False, "true or false")},
    "packages": {"includeSystemPackages": (_bool_param, False, "true or false")},
}


def check_query(spec, query, required=()):
    for k, values in query.items():
        if k not in spec:
            raise Violation(422, "unexpected query parameter", "query." + k)
        ok, multi, want = spec[k]
        if len(values) > 1 and not multi:
            raise Violation(422, "expected one value", "query." + k)
        for v in values:
            if not ok(v):
                raise Violation(422, "expected %s" % want, "query." + k)
    for k in required:
        if k not in query:
            raise Violation(422, "expected required query parameter", "query." + k)


# route table: (method, regex on the path below /v1, action, query spec, body spec)
ROUTES = [
    ("GET", r"/devices", "list", "list", None),
    ("POST", r"/devices", "provision", "provision", "provision"),
    ("GET", r"/devices/count", "count", None, None),
    ("GET", r"/devices/([^/]+)", "info", None, None),
    ("DELETE", r"/devices/([^/]+)", "terminate", None, "empty"),
    ("GET", r"/devices/([^/]+)/wait", "wait", None, None),
    ("GET", r"/devices/([^/]+)/time", "time", None, None),
    ("GET", r"/devices/([^/]+)/screenshot", "screenshot", "screenshot", None),
    ("GET", r"/devices/([^/]+)/ui-state", "ui_state", "ui_state", None),
    ("POST", r"/devices/([^/]+)/tap", "tap", None, "tap"),
    ("POST", r"/devices/([^/]+)/swipe", "swipe", None, "swipe"),
    ("POST", r"/devices/([^/]+)/global", "global", None, "global"),
    ("POST", r"/devices/([^/]+)/keyboard", "type", None, "type"),
    ("PUT", r"/devices/([^/]+)/keyboard", "key", None, "key"),
    ("DELETE", r"/devices/([^/]+)/keyboard", "clear", None, None),
    ("GET", r"/devices/([^/]+)/apps", "apps", "apps", None),
    ("GET", r"/devices/([^/]+)/packages", "packages", "packages", None),
    ("PUT", r"/devices/([^/]+)/apps/([^/]+)", "start_app", None, "start_app"),
    ("PATCH", r"/devices/([^/]+)/apps/([^/]+)", "stop_app", None, "empty"),
]


def route(method, path):
    """(action, groups, query spec, body spec) or a Violation (404 / 405)."""
    known = False
    for m, pattern, action, qspec, bspec in ROUTES:
        g = re.fullmatch(pattern, path)
        if not g:
            continue
        known = True
        if m == method:
            return action, [unquote(x) for x in g.groups()], qspec, bspec
    if known:
        raise Violation(405, "method %s is not allowed on %s" % (method, path))
    raise Violation(404, "no such endpoint: %s %s" % (method, path))


# ---- state -------------------------------------------------------------------------------------

class Device:
    def __init__(self, n, spec, provisioned=False):
        self.id = spec["id"]
        self.name = spec.get("name", "")
        self.state = spec.get("state", "ready")
        self.type = spec.get("type", "dedicated_emulated_device")
        self.state_message = spec.get("stateMessage", "")
        self.apps = list(spec.get("apps", []))
        self.provisioned = provisioned
        self.ready_after_ms = spec.get("ready_after_ms")
        self.ready_at = None
        self.phone = "p%d" % n
        self.created = time.time()

    def refresh(self):
        if self.state not in ("ready", "terminated") and self.ready_at is not None and \
                time.monotonic() >= self.ready_at:
            self.state = "ready"
            self.state_message = "device ready"

    def info(self):
        self.refresh()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created))
        return {"id": self.id, "name": self.name, "state": self.state,
                "stateMessage": self.state_message, "type": self.type,
                "streamUrl": "wss://127.0.0.1/fake-stream", "streamToken": "fake-stream-token",
                "apps": self.apps, "createdAt": stamp, "updatedAt": stamp, "assignedAt": None,
                "terminatesAt": None, "taskCount": 0}


class Faults:
    """Scripted faults: the first rule matching a request's method and path (fnmatch, below
    /v1) that has uses left applies to it."""

    def __init__(self, rules):
        self.rules = [dict(r) for r in rules]
        for r in self.rules:
            r.setdefault("method", "*")
            r.setdefault("path", "*")
            r["left"] = None if r.get("always") else int(r.get("times", 1))
            r["skip"] = int(r.get("after", 0))
        self.lock = threading.Lock()

    def take(self, method, path):
        with self.lock:
            for r in self.rules:
                if not fnmatch.fnmatchcase(method, r["method"]) or \
                        not fnmatch.fnmatchcase(path, r["path"]):
                    continue
                if r["left"] is not None and r["left"] <= 0:
                    continue
                if r["skip"] > 0:
                    r["skip"] -= 1
                    continue
                if r["left"] is not None:
                    r["left"] -= 1
                return {k: v for k, v in r.items() if k not in ("left", "skip")}
        return None


class State:
    def __init__(self, args):
        self.args = args
        cfg = {}
        if args.config:
            with open(args.config, encoding="utf-8") as f:
                cfg = json.load(f)
        self.key = args.key or cfg.get("key") or "mr-test-key"
        self.page_size = int(cfg.get("page_size", 20))
        self.wait_max_ms = int(cfg.get("wait_max_ms", 10000))
        self.provision_cfg = cfg.get("provision", {})
        self.faults = Faults(cfg.get("faults", []))
        self.lock = threading.Lock()
        self.n = 0
        self.phones = 0
        self.last_request = time.monotonic()
        self.devices = []
        for spec in cfg.get("devices", [{"id": "dev-1", "name": "Pixel 7",
                                         "state": "ready"}]):
            self.phones += 1
            self.devices.append(Device(self.phones, spec))
        with open(args.model, encoding="utf-8") as f:
            model = json.load(f)
        self.apps = [(a["package"], a.get("label", "")) for a in model.get("apps", [])]
        self.home = tempfile.mkdtemp(prefix="fake-mobilerun-")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TAPLOOP_", "MOBILERUN_", "OPENAI_"))}
        self.env["XDG_STATE_HOME"] = self.home
        self.static = None
        if args.static:
            snap = Device(0, {"id": "static"})
            code, tree, err = self.taploop(snap, ["observe", "--dump", "-"])
            shot = os.path.join(self.home, "static.png")
            code2, _, err2 = self.taploop(snap, ["observe", "--screenshot", shot])
            if code or code2:
                raise SystemExit("fake_mobilerun: --static: %s" % (err or err2))
            with open(shot, "rb") as f:
                self.static = (tree, f.read())

    def count(self):
        with self.lock:
            self.n += 1
            self.last_request = time.monotonic()
            return self.n

    def touch(self):
        with self.lock:
            self.last_request = time.monotonic()

    def log(self, entry):
        if not self.args.log:
            return
        with self.lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def arrival(self, entry):
        """--arrivals: one line per request as soon as it is read (before any delay)."""
        with self.lock:
            with open(self.args.arrivals, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def find(self, device_id):
        with self.lock:
            for d in self.devices:
                if d.id == device_id:
                    return d
        return None

    def provision(self, device_type, body):
        with self.lock:
            self.phones += 1
            n = self.phones
            d = Device(n, {"id": "prov-%d-%s" % (n, os.urandom(4).hex()),
                           "name": body.get("name", ""), "state": "creating",
                           "type": device_type, "apps": body.get("apps", [])},
                       provisioned=True)
            d.state_message = "device is being created"
            d.ready_at = time.monotonic() + \
                float(self.provision_cfg.get("ready_after_ms", 200)) / 1000.0
            self.devices.insert(0, d)  # newest first, as createdAt desc orders them
            return d

    def taploop(self, device, args, tail=()):
        """Run taploop on the device's phone. @return (exit code, stdout bytes, stderr text)."""
        cmd = [self.args.taploop] + list(args) + ["--device", "sim:" + device.phone]
        if tail:
            cmd += ["--"] + list(tail)
        try:
            p = subprocess.run(cmd, env=self.env, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return 124, b"", "taploop timed out"
        err = p.stderr.decode("utf-8", "replace").strip()
        lines = [ln[len("taploop: "):] if ln.startswith("taploop: ") else ln
                 for ln in err.splitlines()]
        return p.returncode, p.stdout, " ".join(lines)

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


# ---- the handler -------------------------------------------------------------------------------

class Reply:
    def __init__(self, status, body=None, ctype="application/json", headers=None):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or {}

    def data(self):
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_mobilerun/1"

    def log_message(self, format, *args):  # quiet: the --log file is the record
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_PATCH(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def handle_any(self):
        state = self.server.state
        start = time.time()
        n = state.count()
        method = self.command
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body = raw.decode("utf-8", "replace")
        if state.args.arrivals:
            state.arrival({"n": n, "method": method, "path": parts.path, "start": start})
        auth = self.headers.get("Authorization")
        headers = {}
        for k, v in self.headers.items():
            if k.lower() == "authorization":
                v = "Bearer <redacted>" if v.startswith("Bearer ") else "<redacted>"
            headers[k] = v
        entry = {"n": n, "method": method, "path": parts.path, "query": query, "body": body,
                 "headers": headers, "start": start, "status": None, "violation": None,
                 "fault": None, "device": None, "conn": self.client_address[1]}
        truncate = False
        try:
            reply, truncate = self.serve(state, method, parts.path, query, raw, body, auth, entry)
        except Violation as v:
            entry["violation"] = "%s%s" % (v.message, " (%s)" % v.location if v.location else "")
            errors = [{"message": v.message, "location": v.location}] if v.location else []
            detail = "validation failed" if v.status == 422 else v.message
            reply = Reply(v.status, problem(v.status, detail, errors))
        data = reply.data()
        entry["status"] = reply.status
        entry["end"] = time.time()
        state.log(entry)  # before answering: a client that got its answer finds it logged
        state.touch()
        if isinstance(truncate, str):
            if truncate == "badutf8":
                data = faultio.corrupt_utf8(data)
            size = int((entry["fault"] or {}).get("size", HUGE_SIZE))
            return faultio.apply(self, truncate, size=size, data=data)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if truncate:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[:len(data) // 2] if truncate else data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        if truncate:
            self.close_connection = True

    def serve(self, state, method, path, query, raw, body, auth, entry):
        """(Reply, truncate) for a request, or raise Violation."""
        if not path.startswith("/v1/") and path != "/v1":
            raise Violation(404, "no such endpoint: the base URL must end in /v1")
        action, groups, qspec, bspec = route(method, path[3:])
        if groups:
            entry["device"] = groups[0]
        # the Bearer key
        if auth is None:
            raise Violation(401, "no Authorization header")
        if not auth.startswith("Bearer ") or not auth[7:] or auth[7:] != auth[7:].strip():
            raise Violation(401, "the Authorization header is not \"Bearer <key>\"")
        # query and body
        check_query(QUERIES.get(qspec, {}), query,
                    required=("deviceType",) if action == "provision" else ())
        ctype = self.headers.get("Content-Type")
        if bspec is None:
            if raw:
                raise Violation(400, "this endpoint takes no request body")
        else:
            if not raw:
                raise Violation(400, "a JSON body is required (the reference gives one)")
            if ctype is None or ctype.split(";")[0].strip().lower() != "application/json":
                raise Violation(400, "Content-Type must be application/json, not %r" % ctype)
            if isinstance(body, str):
                raise Violation(400, "the body is not valid JSON")
            check_body(BODIES[bspec], body)
        if self.headers.get("Transfer-Encoding"):
            raise Violation(400, "chunked request bodies are not expected")
        if auth[7:] != state.key:
            if state.args.echo_key:  # a hostile server: the rejected key back in the body
                return Reply(401, problem(401, "Invalid API key: %s" % auth[7:])), False
            return Reply(401, problem(401)), False
        fault = state.faults.take(method, path[3:])
        truncate = False
        if fault:
            entry["fault"] = {k: v for k, v in fault.items() if k not in ("method", "path")}
            if fault.get("delay_ms"):
                time.sleep(float(fault["delay_ms"]) / 1000.0)
            if "status" in fault:
                status = int(fault["status"])
                headers = {}
                if "retry_after" in fault:
                    headers["Retry-After"] = str(fault["retry_after"])
                body_out = fault.get("body", problem(status))
                if isinstance(body_out, str):
                    return Reply(status, body_out.encode("utf-8"), "text/plain", headers), False
                return Reply(status, body_out, headers=headers), fault.get("truncate", False)
            truncate = bool(fault.get("truncate"))
            if fault.get("conn"):
                truncate = fault["conn"]  # a faultio mode, applied by handle_any
        return getattr(self, "a_" + action)(state, groups, query, body), truncate

    # ---- device list and lifecycle ----

    def a_list(self, state, groups, query, body):
        with state.lock:
            devices = list(state.devices)
        items = [d.info() for d in devices]
        if "state" in query:
            items = [i for i in items if i["state"] in query["state"]]
        if "type" in query:
            items = [i for i in items if i["type"] == query["type"][0]]
        if "name" in query:
            items = [i for i in items if query["name"][0].lower() in i["name"].lower()]
        page = int(query.get("page", ["1"])[0])
        size = min(int(query.get("pageSize", ["20"])[0]), state.page_size)
        total = len(items)
        pages = (total + size - 1) // size
        chunk = items[(page - 1) * size:page * size]
        return Reply(200, {"items": chunk, "pagination": {
            "hasNext": page < pages, "hasPrev": page > 1, "page": page, "pages": pages,
            "pageSize": size, "total": total}})

    def a_count(self, state, groups, query, body):
        counts = {}
        with state.lock:
            for d in state.devices:
                counts[d.type] = counts.get(d.type, 0) + 1
        return Reply(200, counts)

    def a_provision(self, state, groups, query, body):
        d = state.provision(query["deviceType"][0], body)
        return Reply(200, d.info())

    def a_info(self, state, groups, query, body):
        d = state.find(groups[0])
        if d is None:
            return Reply(404, problem(404))
        return Reply(200, d.info())

    def a_terminate(self, state, groups, query, body):
        d = state.find(groups[0])
        if d is None:
            return Reply(404, problem(404))
        if not d.provisioned:
            return Reply(400, problem(400, "personal devices cannot be terminated via the API"))
        with state.lock:
            d.state = "terminated"
            d.state_message = "device terminated"
        return Reply(200, d.info())

    def a_wait(self, state, groups, query, body):
        d = state.find(groups[0])
        if d is None:
            return Reply(404, problem(404))
        with state.lock:
            if d.ready_at is None and d.ready_after_ms is not None:
                d.ready_at = time.monotonic() + float(d.ready_after_ms) / 1000.0
        limit = time.monotonic() + state.wait_max_ms / 1000.0
        while time.monotonic() < limit:
            d.refresh()
            if d.state in ("ready", "terminated"):
                break
            state.touch()
            time.sleep(0.02)
        return Reply(200, d.info())

    def a_time(self, state, groups, query, body):
        d, r = self.ready_device(state, groups[0])
        return r or Reply(200, time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    # ---- the phone ----

    def ready_device(self, state, device_id):
        d = state.find(device_id)
        if d is None:
            return None, Reply(404, problem(404))
        d.refresh()
        if d.state != "ready":
            return d, Reply(409, problem(409, "device is not ready (state %s)" % d.state))
        return d, None

    def static_wait(self, state):
        if state.args.latency_ms:
            time.sleep(state.args.latency_ms / 1000.0)

    def act(self, state, device_id, args, tail=()):
        d, r = self.ready_device(state, device_id)
        if r:
            return r
        if state.static:
            self.static_wait(state)
            return Reply(200, {})
        code, _, err = state.taploop(d, ["act"] + list(args), tail)
        if code == 0:
            return Reply(200, {})
        if code in (1, 2):  # the phone refused (exit 1), or the action made no sense (2)
            return Reply(400, problem(400, err or "action refused"))
        return Reply(500, problem(500, "taploop exited with %d: %s" % (code, err)))

    def a_ui_state(self, state, groups, query, body):
        d, r = self.ready_device(state, groups[0])
        if r:
            return r
        if state.static:
            self.static_wait(state)
            return Reply(200, state.static[0])
        code, out, err = state.taploop(d, ["observe", "--dump", "-"])
        if code != 0:
            return Reply(500, problem(500, err))
        return Reply(200, out)

    def a_screenshot(self, state, groups, query, body):
        d, r = self.ready_device(state, groups[0])
        if r:
            return r
        if state.static:
            self.static_wait(state)
            return Reply(200, state.static[1], "image/png")
        fd, path = tempfile.mkstemp(suffix=".png", dir=state.home)
        os.close(fd)
        try:
            code, _, err = state.taploop(d, ["observe", "--screenshot", path])
            if code != 0:
                return Reply(500, problem(500, err))
            with open(path, "rb") as f:
                return Reply(200, f.read(), "image/png")
        finally:
            os.unlink(path)

    def a_tap(self, state, groups, query, body):
        return self.act(state, groups[0], ["tap", str(body["x"]), str(body["y"])])

    def a_swipe(self, state, groups, query, body):
        x1, y1, x2, y2 = body["startX"], body["startY"], body["endX"], body["endY"]
        ms = body["duration"]
        if (x1, y1) == (x2, y2):  # a stationary swipe: Android reads a press
            if ms >= LONG_PRESS_MS:
                return self.act(state, groups[0], ["long_press", str(x1), str(y1),
                                                   "--duration", str(ms)])
            return self.act(state, groups[0], ["tap", str(x1), str(y1)])
        return self.act(state, groups[0], ["swipe", str(x1), str(y1), str(x2), str(y2),
                                           "--duration", str(ms)])

    def a_global(self, state, groups, query, body):
        return self.act(state, groups[0], ["press_key", GLOBAL_KEYS[body["action"]]])

    def a_type(self, state, groups, query, body):
        args = ["type"] + (["--clear"] if body["clear"] else [])
        return self.act(state, groups[0], args, tail=[body["text"]])

    def a_key(self, state, groups, query, body):
        return self.act(state, groups[0], ["press_key", KEYCODES[body["key"]]])

    def a_clear(self, state, groups, query, body):
        return self.act(state, groups[0], ["type", "--clear"], tail=[""])

    def installed(self, state, query, param):
        system = query.get(param, ["false"])[0] == "true"
        return [(p, label) for p, label in state.apps
                if system or not p.startswith("com.android.")]

    def a_apps(self, state, groups, query, body):
        d, r = self.ready_device(state, groups[0])
        if r:
            return r
        return Reply(200, [{"packageName": p, "label": label, "versionName": "1.0",
                            "versionCode": 1, "isSystemApp": p.startswith("com.android.")}
                           for p, label in self.installed(state, query, "includeSystemApps")])

    def a_packages(self, state, groups, query, body):
        d, r = self.ready_device(state, groups[0])
        if r:
            return r
        return Reply(200, [p for p, _ in self.installed(state, query,
                                                        "includeSystemPackages")])

    def a_start_app(self, state, groups, query, body):
        args = ["start_app", groups[1]]
        if "activity" in body:
            args += ["--activity", body["activity"]]
        return self.act(state, groups[0], args)

    def a_stop_app(self, state, groups, query, body):
        return self.act(state, groups[0], ["stop_app", groups[1]])


def watchdog(state, idle_timeout, parent):
    while True:
        time.sleep(0.2)
        with state.lock:
            idle = time.monotonic() - state.last_request
        if os.getppid() != parent or idle > idle_timeout:
            state.cleanup()
            os._exit(0)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--taploop", default=os.environ.get("TAPLOOP"),
                    help="the built taploop binary (default: $TAPLOOP)")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--config")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--idle-timeout", type=float, default=30.0)
    ap.add_argument("--static", action="store_true",
                    help="serve every device from one snapshot; actions do nothing")
    ap.add_argument("--latency-ms", type=float, default=0.0,
                    help="with --static: answer each device call after this many ms")
    ap.add_argument("--arrivals",
                    help="append one JSON line per request as soon as it is read")
    ap.add_argument("--echo-key", action="store_true",
                    help="a hostile server: a rejected key is echoed in the 401 body")
    ap.add_argument("--model", default=DEFAULT_MODEL,
                    help="the sim model whose apps the phones list (default: the demo phone)")
    args = ap.parse_args(argv)
    if not args.taploop:
        ap.error("--taploop (or $TAPLOOP) is required")
    parent = os.getppid()
    state = State(args)

    def on_term(sig, frame):
        state.cleanup()
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    ThreadingHTTPServer.request_queue_size = 1024  # many clients connect at once (batch)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = state
    threading.Thread(target=watchdog, args=(state, args.idle_timeout, parent),
                     daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)  # readers never see a half-written port
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        state.cleanup()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
