#!/usr/bin/env python3
"""A scripted OpenAI-compatible chat-completions server for taploop's end-to-end tests.

    fake_openai.py --script FILE --port-file FILE [--log FILE] [--schema FILE]
                   [--idle-timeout SEC] [--require-key KEY] [--delay-ms MS] [--echo-key]

Listens on 127.0.0.1 (a free port, written to --port-file once listening) and answers
POST .../chat/completions from a script of replies, in order, or from rules matched on each
request's content (order-independent, for concurrent clients). See tests/fakes/README.md for
the script format. Python 3 standard library, plus jsonschema for --schema.

It exits by itself after --idle-timeout seconds without a request (default 30), and as soon as
the process that started it dies.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import faultio  # tests/fakes/faultio.py

HUGE_SIZE = (64 << 20) + 1  # "fault": "huge": one byte over taploop's 64 MiB response cap

UNTIL_LISTED_MAX = 20  # an until_listed entry is replied at most this many times

LISTING_LINE = re.compile(r"^\[\d+\] ", re.M)


def openai_error(message, type_="invalid_request_error", code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def text_of(message):
    """The text of a chat message: its content string, or its text parts joined."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content
                       if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def observation(request):
    """The text the model is looking at: the last user message; when a later tool message holds
    a listing (an observation sent as a tool result), that one."""
    msgs = request.get("messages") if isinstance(request, dict) else None
    if not isinstance(msgs, list):
        return ""
    for m in reversed(msgs):
        if not isinstance(m, dict):
            continue
        if m.get("role") == "user":
            return text_of(m)
        if m.get("role") == "tool" and LISTING_LINE.search(text_of(m)):
            return text_of(m)
    return ""


def find_listed(text, label):
    """The listing index of the first line whose first label is exactly `label`, or None."""
    escaped = json.dumps(label, ensure_ascii=False)[1:-1]  # labels are JSON-escaped in the listing
    m = re.search(r"^\[(\d+)\] \S+ \"" + re.escape(escaped) + "\"", text, re.M)
    return int(m.group(1)) if m else None


def find_listed_point(text, label):
    """The (x, y) tap point shown on the first listing line whose first label is `label`."""
    escaped = json.dumps(label, ensure_ascii=False)[1:-1]
    m = re.search(r"^\[\d+\] \S+ \"" + re.escape(escaped) + r"\".*\((\d+),(\d+)\)$", text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def images_of(request):
    """Every image_url URL in the request's messages."""
    urls = []
    for m in request.get("messages") or []:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    urls.append((part.get("image_url") or {}).get("url", ""))
    return urls


class Script:
    """The replies, consumed in order under a lock."""

    def __init__(self, replies):
        self.replies = replies
        self.next = 0
        self.repeats = {}
        self.lock = threading.Lock()

    def pick(self, request):
        """The entry answering this request, or None when the script is exhausted."""
        obs = None
        with self.lock:
            while self.next < len(self.replies):
                i = self.next
                entry = self.replies[i]
                if isinstance(entry, dict) and entry.get("always"):
                    return entry  # a persistent fault: never consumed
                until = entry.get("until_listed") if isinstance(entry, dict) else None
                if until is None:
                    self.next += 1
                    return entry
                if obs is None:
                    obs = observation(request)
                if find_listed(obs, until) is not None:
                    self.next += 1  # the condition holds: skip to the next entry
                    continue
                self.repeats[i] = self.repeats.get(i, 0) + 1
                if self.repeats[i] >= UNTIL_LISTED_MAX:
                    self.next += 1
                return entry
            return None


GOAL_LINE = re.compile(r"^Goal: (.*)$", re.M)
STEP_LINE = re.compile(r"^Step (\d+) of \d+", re.M)
APP_LINE = re.compile(r"^Current app: (.*?)(?: \(([^()]*)\))?$", re.M)


def goal_of(request):
    """The goal the request is about: the "Goal: ..." line of its user messages, or ""."""
    for m in request.get("messages") or []:
        if isinstance(m, dict) and m.get("role") == "user":
            g = GOAL_LINE.search(text_of(m))
            if g:
                return g.group(1)
    return ""


class Rules:
    """Replies chosen by conditions on each request, not by order: every request is answered
    by the first rule whose conditions all hold (rules are not consumed, except with "times"),
    so that concurrent conversations get the same answers whatever their interleaving."""

    def __init__(self, rules):
        self.rules = rules
        self.used = [0] * len(rules)
        self.lock = threading.Lock()

    @staticmethod
    def holds(rule, request):
        obs = observation(request)
        if "goal" in rule and rule["goal"] not in goal_of(request):
            return False
        if "step" in rule:
            m = STEP_LINE.search(obs)
            if not m or int(m.group(1)) != int(rule["step"]):
                return False
        if "app" in rule:
            m = APP_LINE.search(obs)  # "Label (package)": either names the app
            if not m or rule["app"] not in (m.group(1), m.group(2)):
                return False
        if "listed" in rule and find_listed(obs, rule["listed"]) is None:
            return False
        if "not_listed" in rule and find_listed(obs, rule["not_listed"]) is not None:
            return False
        if "matches" in rule and not re.search(rule["matches"], obs, re.M):
            return False
        return True

    def pick(self, request):
        with self.lock:
            for i, rule in enumerate(self.rules):
                if not isinstance(rule, dict):
                    return rule
                if "times" in rule and self.used[i] >= int(rule["times"]):
                    continue
                if self.holds(rule, request):
                    self.used[i] += 1
                    return rule
        return {"tool": "done", "args": {"success": False,
                                         "message": "fake server: no rule matches"}}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.n = 0
        self.last_request = time.monotonic()
        with open(args.script, encoding="utf-8") as f:
            doc = json.load(f)
        if isinstance(doc, dict) and isinstance(doc.get("rules"), list):
            self.script = Rules(doc["rules"])
        else:
            replies = doc.get("replies") if isinstance(doc, dict) else doc
            if not isinstance(replies, list):
                raise SystemExit("fake_openai: %s: expected {\"replies\": [...]} or "
                                 "{\"rules\": [...]}" % args.script)
            self.script = Script(replies)
        self.validator = None
        if args.schema:
            sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                            "tools"))
            import openai_schema  # noqa: E402 (tests/tools/openai_schema.py)
            self.validator = openai_schema.load_validator("request", args.schema)
            self.schema_errors = openai_schema.errors

    def count(self):
        with self.lock:
            self.n += 1
            self.last_request = time.monotonic()
            return self.n

    def log(self, entry):
        if not self.args.log:
            return
        with self.lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def completion(n, request, message, finish):
    model = request.get("model") if isinstance(request, dict) else None
    prompt = len(json.dumps(request)) // 4
    return {
        "id": "chatcmpl-fake-%d" % n,
        "object": "chat.completion",
        "created": 1700000000 + n,
        "model": model if isinstance(model, str) and model else "fake",
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": 20,
                  "total_tokens": prompt + 20},
    }


def tool_reply(n, request, name, args, content=None):
    message = {"role": "assistant", "content": content, "refusal": None,
               "tool_calls": [{"id": "call_%d" % n, "type": "function",
                               "function": {"name": name,
                                            "arguments": json.dumps(args, ensure_ascii=False)}}]}
    return completion(n, request, message, "tool_calls")


def content_reply(n, request, content):
    message = {"role": "assistant", "content": content, "refusal": None}
    return completion(n, request, message, "stop")


STATUS_ERRORS = {
    401: ("Incorrect API key provided", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model", "invalid_request_error", None),
    404: ("The model does not exist", "invalid_request_error", "model_not_found"),
    429: ("Rate limit reached for requests", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!",
          "server_error", None),
    503: ("The engine is currently overloaded, please try again later", "server_error", None),
}


def answer(n, request, entry):
    """(status, body object or str, extra headers) for a script entry (None: exhausted)."""
    if entry is None:
        return 200, tool_reply(n, request, "done", {
            "success": False, "message": "fake server: script exhausted"}), {}
    if not isinstance(entry, dict):
        return 500, openai_error("fake server: script entry is not an object", "server_error"), {}
    headers = {}
    if "retry_after" in entry:
        headers["Retry-After"] = str(entry["retry_after"])
    if "raw" in entry:
        return int(entry.get("status", 200)), entry["raw"], headers
    if "status" in entry:
        status = int(entry["status"])
        if "body" in entry:
            return status, entry["body"], headers
        msg, type_, code = STATUS_ERRORS.get(status, ("fake server: HTTP %d" % status,
                                                      "server_error", None))
        return status, openai_error(msg, type_, code), headers
    if "tool" in entry:
        name = entry["tool"]
        args = {}
        if "tap_text" in entry:
            index = find_listed(observation(request), entry["tap_text"])
            if index is None:
                return 200, tool_reply(n, request, "done", {
                    "success": False,
                    "message": "fake server: no element \"%s\" in the listing" % entry["tap_text"]
                }), headers
            args["index"] = index
        if "tap_point_of" in entry:
            point = find_listed_point(observation(request), entry["tap_point_of"])
            if point is None:
                return 200, tool_reply(n, request, "done", {
                    "success": False,
                    "message": "fake server: no point for \"%s\" in the listing" % entry["tap_point_of"]
                }), headers
            args["x"], args["y"] = point
        if name == "type" and "text" in entry:
            args["text"] = entry["text"]
        args.update(entry.get("args") or {})
        return 200, tool_reply(n, request, name, args, entry.get("content")), headers
    if "content" in entry:
        return 200, content_reply(n, request, entry["content"]), headers
    return 500, openai_error("fake server: script entry has no tool, content, status or raw",
                             "server_error"), headers


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake_openai/1"

    def log_message(self, format, *args):  # quiet: the --log file is the record
        pass

    def send(self, status, body, headers=None):
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        data = data.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        state = self.server.state
        state.count()
        self.send(404, openai_error("fake server: only POST .../chat/completions is served"))

    def do_POST(self):
        state = self.server.state
        n = state.count()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {k: ("<redacted>" if k.lower() == "authorization" else v)
                   for k, v in self.headers.items()}
        try:
            request = json.loads(raw.decode("utf-8"))
        except ValueError as e:
            state.log({"n": n, "request": raw.decode("utf-8", "replace"), "headers": headers,
                       "invalid": True})
            return self.send(400, openai_error("fake server: the body is not JSON: %s" % e))
        path = self.path.split("?", 1)[0].rstrip("/")
        if not path.endswith("/chat/completions"):
            state.log({"n": n, "request": request, "headers": headers, "invalid": True})
            return self.send(404, openai_error("fake server: unknown path %s" % path))
        key = state.args.require_key
        if key is not None and self.headers.get("Authorization") != "Bearer " + key:
            state.log({"n": n, "request": request, "headers": headers, "invalid": False,
                       "status": 401})
            if state.args.echo_key:  # a hostile server: the rejected key back in the body
                return self.send(401, openai_error(
                    "Incorrect API key provided: %s" % self.headers.get("Authorization"),
                    "invalid_request_error", "invalid_api_key"))
            return self.send(401, openai_error("Incorrect API key provided",
                                               "invalid_request_error", "invalid_api_key"))
        if state.validator is not None:
            errs = state.schema_errors(state.validator, request)
            if errs:
                state.log({"n": n, "request": request, "headers": headers, "invalid": True,
                           "errors": errs})
                return self.send(400, openai_error(
                    "fake server: the request does not validate against "
                    "CreateChatCompletionRequest: " + "; ".join(errs)))
        entry = state.script.pick(request)
        state.log({"n": n, "request": request, "headers": headers, "invalid": False,
                   "path": self.path, "bytes": len(raw), "images": len(images_of(request)),
                   "goal": goal_of(request), "start": time.time()})
        if state.args.delay_ms:
            time.sleep(state.args.delay_ms / 1000.0)
        if isinstance(entry, dict) and entry.get("delay_ms"):
            time.sleep(float(entry["delay_ms"]) / 1000.0)
        mode = entry.get("fault") if isinstance(entry, dict) else None
        if mode:
            return self.fault(n, request, entry, mode)
        status, body, extra = answer(n, request, entry)
        self.send(status, body, extra)

    def fault(self, n, request, entry, mode):
        """Answer with a connection-level fault (faultio.MODES) instead of the entry's reply;
        the reply the entry describes otherwise (a tool call, content) is what truncate cuts
        and badutf8 corrupts."""
        _, body, _ = answer(n, request, {k: v for k, v in entry.items()
                                         if k not in ("fault", "always")})
        data = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
        if mode == "badutf8":
            data = faultio.corrupt_utf8(data)
        faultio.apply(self, mode, size=int(entry.get("size", HUGE_SIZE)), data=data)


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
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--schema")
    ap.add_argument("--idle-timeout", type=float, default=30.0)
    ap.add_argument("--require-key")
    ap.add_argument("--echo-key", action="store_true",
                    help="with --require-key: echo the rejected Authorization value in the 401")
    ap.add_argument("--delay-ms", type=float, default=0.0,
                    help="answer every request after this many milliseconds (a fixed latency)")
    args = ap.parse_args(argv)
    parent = os.getppid()
    state = State(args)
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
    server.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
