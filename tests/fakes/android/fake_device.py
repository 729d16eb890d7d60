#!/usr/bin/env python3
"""FakeDevice: an Android shell over a sim phone, for the fake ArmCloud and adb servers.

    dev = FakeDevice(taploop_bin, "pad1", workdir)     # a fresh sim phone "sim:pad1"
    rc, output = dev.shell("input tap 540 960")         # through a real /bin/sh
    png = dev.screencap_png()
    dev.injections()                                    # [] unless quoting failed

shell() runs the command line with `/bin/sh -c`, like adbd and ArmCloud's syncCmd do, with a
PATH that holds only the fake Android tools of bin/ (see tool.py): a command line that is not
quoted right runs something else, which fails with "not found" (or, for `reboot`, is recorded
in injections()), so an injection shows. Standard error is merged into the output, as on
`adb shell`. Calls on one device are serialised (a phone runs one command at a time here).

Command line, for trying things by hand:
    fake_device.py --taploop BIN --name NAME --workdir DIR [--adb-keyboard] -c 'COMMAND'
"""
import argparse
import json
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEMO_MODEL = os.path.join(REPO, "drivers", "sim", "demo-phone.json")
PASS_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LANG", "LC_ALL")


class FakeDevice:
    def __init__(self, taploop, name, workdir, adb_keyboard=False, model=None):
        self.name = name
        self.root = os.path.join(os.path.abspath(workdir), "device-" + name)
        self.sdcard = os.path.join(self.root, "sdcard")
        os.makedirs(self.sdcard, exist_ok=True)
        self.env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
        self.env.update({
            "PATH": os.path.join(HERE, "bin"),
            "HOME": self.root,
            "FAKE_PYTHON": sys.executable,
            "FAKE_ANDROID": HERE,
            "FAKE_TAPLOOP": os.path.abspath(taploop),
            "FAKE_SIM": "sim:" + name,
            "FAKE_SDCARD": self.sdcard,
            "FAKE_ROOT": self.root,
            "FAKE_IME": "adbkeyboard" if adb_keyboard else "latin",
            "FAKE_MODEL": model or DEMO_MODEL,
            "XDG_STATE_HOME": os.path.join(self.root, "state"),
        })
        self.lock = threading.Lock()
        rc, out = self._taploop("act", "reset", "-q")
        if rc != 0:
            raise RuntimeError("cannot reset the sim phone: %s" % out.decode("utf-8", "replace"))

    def _taploop(self, *args):
        p = subprocess.run([self.env["FAKE_TAPLOOP"], *args, "--device", self.env["FAKE_SIM"]],
                           env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60, check=False)
        return p.returncode, p.stdout

    def shell(self, command, timeout=30):
        """Run one command line; return (exit status, stdout and stderr merged, bytes)."""
        with self.lock:
            try:
                p = subprocess.run(["/bin/sh", "-c", command], env=self.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=timeout, check=False, cwd=self.root)
                return p.returncode, p.stdout
            except subprocess.TimeoutExpired as e:
                return 124, (e.stdout or b"") + b"\n[timed out]\n"

    def screencap_png(self):
        rc, out = self.shell("screencap -p")
        if rc != 0:
            raise RuntimeError("screencap failed: %s" % out[:200].decode("utf-8", "replace"))
        return out

    def observe(self):
        """The sim phone's element index, as `taploop observe --json` prints it."""
        with self.lock:
            rc, out = self._taploop("observe", "--json", "-q")
        if rc != 0:
            raise RuntimeError(out.decode("utf-8", "replace"))
        return json.loads(out)["ui"]

    def tool_calls(self):
        """Every tool run so far: [{"tool": NAME, "argv": [...]}, ...]."""
        return _lines(os.path.join(self.root, "tools.log"), json.loads)

    def injections(self):
        """Commands a correctly quoted command line never runs (`reboot ...`)."""
        return _lines(os.path.join(self.root, "injections.log"), str)


def _lines(path, parse):
    try:
        with open(path, encoding="utf-8") as f:
            return [parse(line.rstrip("\n")) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--taploop", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--adb-keyboard", action="store_true")
    ap.add_argument("-c", dest="command", required=True)
    a = ap.parse_args()
    dev = FakeDevice(a.taploop, a.name, a.workdir, adb_keyboard=a.adb_keyboard)
    rc, out = dev.shell(a.command)
    sys.stdout.buffer.write(out)
    sys.exit(rc)


if __name__ == "__main__":
    main()
