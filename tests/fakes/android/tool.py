#!/usr/bin/env python3
"""The fake Android command-line tools behind FakeDevice (fake_device.py).

Each file in bin/ runs `tool.py NAME ARGS...`. The tools act on a sim phone through the built
taploop binary, the way the real tools act on a real phone:

  input text|tap|swipe|keyevent   am start -n|force-stop|broadcast   monkey -p PKG ... 1
  uiautomator dump [PATH]         screencap -p [PATH]                pm list packages
  wm size    dumpsys window       settings get secure default_input_method
  stat -c %s PATH    cat|head|tail|grep (real tools, with /sdcard mapped)    reboot

The environment comes from FakeDevice: FAKE_TAPLOOP (binary), FAKE_SIM (sim:NAME),
FAKE_SDCARD (the directory /sdcard maps to), FAKE_ROOT (logs), FAKE_IME (latin|adbkeyboard),
FAKE_MODEL (the sim model JSON, for pm), XDG_STATE_HOME (the sim phone's state).

Every call is appended to $FAKE_ROOT/tools.log as one JSON line {"tool": NAME, "argv": [...]},
and `reboot` (which a correctly quoted command line never runs) to $FAKE_ROOT/injections.log.
"""
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile

ENV = os.environ
KEYS = {4: "back", 3: "home", 187: "recent", 66: "enter", 67: "delete", 61: "tab",
        112: "forward_delete"}
REAL = ("cat", "head", "tail", "grep")


def real_tool(name):
    for d in ("/usr/bin", "/bin"):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    sys.exit("%s: not found on this machine" % name)


def log(name, line):
    with open(os.path.join(ENV["FAKE_ROOT"], name), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def sdcard(path):
    """Map a device path under /sdcard to the private directory."""
    if path == "/sdcard" or path.startswith("/sdcard/"):
        return os.path.join(ENV["FAKE_SDCARD"], path[len("/sdcard/"):])
    return path


def taploop(*args, env=None):
    e = dict(ENV)
    e.update(env or {})
    # Options first: a "--" in args ends them.
    p = subprocess.run([ENV["FAKE_TAPLOOP"], args[0], "--device", ENV["FAKE_SIM"], *args[1:]],
                       env=e,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=False)
    return p.returncode, p.stdout, p.stderr


def act(*args):
    rc, out, err = taploop("act", "-q", *args)
    if rc not in (0, 1):
        sys.stderr.write(err.decode("utf-8", "replace"))
        sys.exit(1)
    return rc == 0, err.decode("utf-8", "replace")


def state():
    rc, out, err = taploop("observe", "--json", "-q")
    if rc != 0:
        sys.stderr.write(err.decode("utf-8", "replace"))
        sys.exit(1)
    return json.loads(out)["ui"]


def android_text(arg):
    """What `input text ARG` types (InputShellCommand.sendText: "%s" is a space)."""
    out, i = [], 0
    while i < len(arg):
        if arg[i] == "%" and i + 1 < len(arg) and arg[i + 1] == "s":
            out.append(" ")
            i += 2
        else:
            out.append(arg[i])
            i += 1
    return "".join(out)


def type_text(text):
    if text:
        act("type", "--", text)


def tool_input(args):
    if not args:
        sys.exit("usage: input [text|keyevent|tap|swipe] ...")
    cmd, rest = args[0], args[1:]
    if cmd == "text" and len(rest) == 1:
        type_text(android_text(rest[0]))
    elif cmd == "tap" and len(rest) == 2:
        act("tap", rest[0], rest[1])
    elif cmd == "swipe" and len(rest) in (4, 5):
        dur = rest[4] if len(rest) == 5 else "300"
        if rest[0:2] == rest[2:4]:
            act("long_press", rest[0], rest[1], "--duration", dur)
        else:
            act("swipe", *rest[0:4], "--duration", dur)
    elif cmd == "keyevent" and rest:
        codes = [int(c) for c in rest if c.lstrip("-").isdigit()]
        deletes = 0
        for code in codes:
            if code == 123:  # MOVE_END: the sim's caret is always at the end
                continue
            if code == 67:
                deletes += 1
                continue
            if code in KEYS:
                act("press_key", KEYS[code])
        if deletes:
            # Deleting more than the field holds does nothing more: stop at its length.
            n = min(deletes, len(state().get("focused_text") or ""))
            for _ in range(n):
                act("press_key", "delete")
    else:
        sys.exit("input: unknown command or arguments: %r" % (args,))


def start(pkg, activity=None):
    args = ["start_app", pkg] + (["--activity", activity] if activity else [])
    return act(*args)[0]


def tool_am(args):
    if args[:1] == ["start"]:
        comp = args[args.index("-n") + 1] if "-n" in args else ""
        pkg, _, activity = comp.partition("/")
        print("Starting: Intent { cmp=%s }" % comp)
        if not pkg or not start(pkg, activity or None):
            print("Error type 3")
            print("Error: Activity class {%s} does not exist." % comp)
    elif args[:1] == ["force-stop"] and len(args) == 2:
        act("stop_app", args[1])
    elif args[:1] == ["broadcast"]:
        action = args[args.index("-a") + 1] if "-a" in args else ""
        print("Broadcasting: Intent { act=%s flg=0x400000 (has extras) }" % action)
        if action == "ADB_INPUT_B64" and ENV.get("FAKE_IME") == "adbkeyboard":
            msg = args[args.index("msg") + 1]
            type_text(base64.b64decode(msg).decode("utf-8"))
        print("Broadcast completed: result=0")
    else:
        sys.exit("am: unknown command %r" % (args,))


def tool_monkey(args):
    if "-p" not in args:
        sys.exit("monkey: no package")
    pkg = args[args.index("-p") + 1]
    print("  bash arg: -p\n  bash arg: %s" % pkg)
    if start(pkg):
        print("Events injected: 1")
        print("## Network stats: elapsed time=12ms (0ms mobile, 0ms wifi, 12ms not connected)")
    else:
        print("** No activities found to run, monkey aborted.")
        sys.exit(252)


def tool_uiautomator(args):
    if args[:1] != ["dump"]:
        sys.exit("uiautomator: unknown command")
    path = args[1] if len(args) > 1 else "/sdcard/window_dump.xml"
    rc, out, err = taploop("observe", "--dump", sdcard(path), "-q",
                           env={"TAPLOOP_SIM_FORMAT": "xml"})
    if rc != 0:
        print("ERROR: could not get idle state.")
        sys.exit(1)
    print("UI hierchary dumped to: %s" % path)


def tool_screencap(args):
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=ENV["FAKE_ROOT"])
    os.close(fd)
    try:
        rc, out, err = taploop("observe", "--screenshot", tmp, "-q")
        if rc != 0:
            sys.stderr.write(err.decode("utf-8", "replace"))
            sys.exit(1)
        with open(tmp, "rb") as f:
            data = f.read()
    finally:
        os.unlink(tmp)
    files = [a for a in args if not a.startswith("-")]
    if files:
        with open(sdcard(files[0]), "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)


def tool_pm(args):
    if args[:2] != ["list", "packages"]:
        sys.exit("pm: unknown command")
    with open(ENV["FAKE_MODEL"], encoding="utf-8") as f:
        model = json.load(f)
    for pkg in ["com.android.launcher3"] + [a["package"] for a in model.get("apps", [])]:
        print("package:%s" % pkg)


def tool_wm(args):
    if args != ["size"]:
        sys.exit("wm: unknown command")
    s = state()["screen"]
    print("Physical size: %dx%d" % (s["width"], s["height"]))


def tool_dumpsys(args):
    if args[:1] not in (["window"], ["window", "windows"]):
        sys.exit("dumpsys: only window")
    s = state()
    pkg, activity = s["package"], s.get("activity") or ".Main"
    full = pkg + activity if activity.startswith(".") else activity
    print("WINDOW MANAGER WINDOWS (dumpsys window windows)")
    print("  mCurrentFocus=Window{4f2a1c u0 %s/%s}" % (pkg, full))
    print("  mFocusedApp=ActivityRecord{1b3d8e u0 %s/%s t7}" % (pkg, activity))


def tool_settings(args):
    if args != ["get", "secure", "default_input_method"]:
        sys.exit("settings: unknown command")
    if ENV.get("FAKE_IME") == "adbkeyboard":
        print("com.android.adbkeyboard/.AdbIME")
    else:
        print("com.android.inputmethod.latin/.LatinIME")


def tool_stat(args):
    if len(args) != 3 or args[:2] != ["-c", "%s"]:
        sys.exit("stat: only -c %s FILE")
    try:
        print(os.path.getsize(sdcard(args[2])))
    except OSError:
        sys.exit("stat: %s: No such file or directory" % args[2])


def tool_reboot(args):
    log("injections.log", "reboot " + " ".join(args))


def main():
    name, args = sys.argv[1], sys.argv[2:]
    log("tools.log", json.dumps({"tool": name, "argv": args}, ensure_ascii=False))
    if name in REAL:
        # Python ignores SIGPIPE and an exec'd program inherits that: restore the default, or
        # `tail ... | head -c N` has tail print "write error: Broken pipe" into the output
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.execv(real_tool(name), [name] + [sdcard(a) for a in args])
    globals()["tool_" + name](args)


if __name__ == "__main__":
    main()
