#!/usr/bin/env python3
"""A fake adb server for taploop's tests: the adb host protocol over sim phones.

    fake_adb.py --port-file FILE --taploop BIN --workdir DIR
                [--devices SERIAL:STATE,...] [--adb-keyboard SERIAL,...] [--log FILE]
                [--idle-timeout SEC] [--fault KIND:COUNT:PATTERN ...] [--slow-ms MS]

Listens on 127.0.0.1 (a free port, written to --port-file once listening) and speaks the adb
server's smart-socket protocol: 4-hex-digit length-prefixed requests, OKAY / FAIL replies.
Host services: host:version, host:devices, host:devices-l, host:transport:SERIAL (then the same
connection carries one device service), host:transport-any, host:kill. Device services:
shell:CMD and exec:CMD run CMD on a FakeDevice (tests/fakes/android/fake_device.py: a sim phone
behind fake Android tools) and send its output until they close the connection, like the legacy
shell service (no exit status); exec:screencap -p sends the PNG.

Devices in any state other than "device" are listed but refused by host:transport with the
message a real adb server gives. See tests/fakes/README.md for the fault options and the log.
Python 3 standard library only. It exits by itself after --idle-timeout seconds without a
request (default 60), and as soon as the process that started it dies.
"""

import argparse
import json
import os
import re
import socket
import socketserver
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "android"))
from fake_device import FakeDevice  # noqa: E402

SERVER_VERSION = 41  # what adb 35.x reports

UNAUTHORIZED = ("device unauthorized.\n"
                "This adb server's $ADB_VENDOR_KEYS is not set\n"
                "Try 'adb kill-server' if that seems wrong.\n"
                "Otherwise check for a confirmation dialog on your device.")
NO_PERMISSIONS = ("no permissions (user in plugdev group; are your udev rules wrong?); "
                  "see [http://developer.android.com/tools/device.html]")
FAULT_KINDS = ("close", "fail", "slow", "garbage")


class Fault:
    """KIND:COUNT:PATTERN: the next COUNT requests (0: all) containing PATTERN get KIND."""

    def __init__(self, spec):
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[0] not in FAULT_KINDS or not parts[1].isdigit() \
                or not parts[2]:
            raise SystemExit("fake_adb: --fault %r: expected KIND:COUNT:PATTERN with KIND one of "
                             "%s" % (spec, ", ".join(FAULT_KINDS)))
        self.kind, self.left, self.pattern = parts[0], int(parts[1]), parts[2]
        self.always = self.left == 0


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.n = 0
        self.last_request = time.monotonic()
        self.faults = [Fault(f) for f in args.fault or []]
        self.devices = []  # [(serial, state)]
        for item in filter(None, (args.devices or "").split(",")):
            serial, sep, state = item.rpartition(":")
            if not sep or not serial:
                raise SystemExit("fake_adb: --devices %r: expected SERIAL:STATE" % item)
            state = NO_PERMISSIONS if state == "nopermissions" else state
            self.devices.append((serial, state))
        keyboard = set(filter(None, (args.adb_keyboard or "").split(",")))
        self.phones = {}
        for serial, state in self.devices:
            if state == "device":
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", serial)
                self.phones[serial] = FakeDevice(args.taploop, name, args.workdir,
                                                 adb_keyboard=serial in keyboard)

    def count(self):
        with self.lock:
            self.n += 1
            self.last_request = time.monotonic()
            return self.n

    def fault_for(self, request):
        with self.lock:
            for f in self.faults:
                if f.pattern in request and (f.always or f.left > 0):
                    if not f.always:
                        f.left -= 1
                    return f.kind
        return None

    def log(self, entry):
        if not self.args.log:
            return
        with self.lock:
            with open(self.args.log, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def listing(self, long):
        lines = []
        for i, (serial, state) in enumerate(self.devices, 1):
            if not long:
                lines.append("%s\t%s\n" % (serial, state))
                continue
            extra = ""
            if state == "device":
                extra = " product:taploop_sim model:Sim_Phone device:sim"
            elif not serial.startswith("emulator-") and ":" not in serial:
                extra = " usb:1-%d" % i
            lines.append("%-22s %s%s transport_id:%d\n" % (serial, state, extra, i))
        return "".join(lines)


def block(data):
    return b"%04x" % len(data) + data


def fail(message):
    return b"FAIL" + block(message.encode("utf-8"))


class Handler(socketserver.BaseRequestHandler):
    def read_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def read_request(self):
        head = self.read_exact(4)
        if head is None:
            return None
        try:
            n = int(head, 16)
        except ValueError:
            return None
        body = self.read_exact(n)
        return None if body is None else body.decode("utf-8", "replace")

    def send(self, data):
        try:
            self.request.sendall(data)
        except OSError:
            pass

    def handle(self):
        self.request.settimeout(60)
        state = self.server.state
        request = self.read_request()
        if request is None:
            return
        serial = None
        if request.startswith("host:transport:") or request == "host:transport-any":
            if not self.transport(state, request):
                return
            serial = self.serial
            request = self.read_request()
            if request is None:
                return
        self.serve(state, request, serial)

    def transport(self, state, request):
        """Switch to a device; False when refused (the reply is sent)."""
        n = state.count()
        if request == "host:transport-any":
            serials = [s for s, _ in state.devices]
            if len(serials) != 1:
                msg = "more than one device/emulator" if serials else "no devices/emulators found"
                state.log({"n": n, "service": request, "reply": "FAIL", "message": msg})
                self.send(fail(msg))
                return False
            target = serials[0]
        else:
            target = request[len("host:transport:"):]
        known = dict(state.devices)
        fault = state.fault_for(request)
        if fault == "slow":
            time.sleep(state.args.slow_ms / 1000.0)
        elif fault in ("close", "garbage"):
            state.log({"n": n, "service": request, "reply": fault, "fault": fault})
            if fault == "garbage":
                self.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
            else:
                self.send(b"OK")  # closed in the middle of the status
            return False
        msg = None
        if target not in known:
            msg = "device '%s' not found" % target
        elif known[target] == "unauthorized":
            msg = UNAUTHORIZED
        elif known[target] == "offline":
            msg = "device offline"
        elif known[target] == "authorizing":
            msg = "device still authorizing"
        elif known[target] == "connecting":
            msg = "device still connecting"
        elif known[target].startswith("no permissions"):
            msg = ("insufficient permissions for device: user in plugdev group; are your udev "
                   "rules wrong?\nSee [http://developer.android.com/tools/device.html] for more "
                   "information")
        elif fault == "fail":
            msg = "fault injected: transport refused"
        state.log({"n": n, "service": request, "reply": "FAIL" if msg else "OKAY",
                   **({"message": msg} if msg else {}), **({"fault": fault} if fault else {})})
        if msg:
            self.send(fail(msg))
            return False
        self.serial = target
        self.send(b"OKAY")
        return True

    def serve(self, state, request, serial):
        n = state.count()
        fault = state.fault_for(request)
        entry = {"n": n, "service": request}
        if serial is not None:
            entry["serial"] = serial
        if fault:
            entry["fault"] = fault
        if fault == "slow":
            time.sleep(state.args.slow_ms / 1000.0)
        if fault == "fail":
            entry["reply"] = "FAIL"
            state.log(entry)
            return self.send(fail("fault injected: %s refused" % request.split(":", 1)[0]))
        if fault == "garbage":
            entry["reply"] = "garbage"
            state.log(entry)
            return self.send(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        if serial is None:
            reply = self.host_service(state, request, entry)
        else:
            reply = self.device_service(state, request, serial, entry)
        state.log(entry)
        if reply is None:
            return
        if fault == "close":
            reply = reply[:max(1, len(reply) // 2)]  # cut in the middle of the reply
        self.send(reply)
        if request == "host:kill":
            threading.Thread(target=self.server.shutdown, daemon=True).start()

    def host_service(self, state, request, entry):
        if request == "host:version":
            entry["reply"] = "OKAY"
            return b"OKAY" + block(b"%04x" % SERVER_VERSION)
        if request in ("host:devices", "host:devices-l"):
            entry["reply"] = "OKAY"
            return b"OKAY" + block(state.listing(request.endswith("-l")).encode("utf-8"))
        if request == "host:kill":
            entry["reply"] = "OKAY"
            return b"OKAY"
        entry["reply"] = "FAIL"
        return fail("unknown host service")

    def device_service(self, state, request, serial, entry):
        phone = state.phones[serial]
        if request.startswith("shell:") or request.startswith("exec:"):
            command = request.split(":", 1)[1]
            if request == "exec:screencap -p":
                out = phone.screencap_png()
                entry["status"] = 0
            else:
                rc, out = phone.shell(command)
                entry["status"] = rc
            entry["reply"] = "OKAY"
            entry["bytes"] = len(out)
            return b"OKAY" + out
        entry["reply"] = "FAIL"
        return fail("closed")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


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
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--taploop", required=True, help="the built taploop binary (for FakeDevice)")
    ap.add_argument("--workdir", required=True, help="where the fake phones keep their files")
    ap.add_argument("--devices", default="emulator-5554:device")
    ap.add_argument("--adb-keyboard", default="", help="serials whose input method is ADB Keyboard")
    ap.add_argument("--log")
    ap.add_argument("--idle-timeout", type=float, default=60.0)
    ap.add_argument("--fault", action="append")
    ap.add_argument("--slow-ms", type=int, default=2000)
    args = ap.parse_args(argv)
    parent = os.getppid()
    os.makedirs(args.workdir, exist_ok=True)
    state = State(args)
    server = Server(("127.0.0.1", 0), Handler)
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
