#!/usr/bin/env python3
"""A same-machine yardstick for bench_ui: the median time CPython's json.loads takes on each
tree file. A Python agent (the best-known peer is one) must at least parse the body on every
step, so this is a lower bound of its per-step CPU work; bench_ui's figures divided into it
give a ratio that does not depend on how fast (or how noisy) the machine is.

usage: bench/python_json_baseline.py FILE...
"""
import json
import statistics
import sys
import time


def main(paths):
    print(f"{'tree':48} {'json.loads_ms':>14}")
    for path in paths:
        data = open(path, "rb").read()
        json.loads(data)  # warm-up
        times = []
        deadline = time.perf_counter() + 1.0
        while len(times) < 20 or (time.perf_counter() < deadline and len(times) < 500):
            start = time.perf_counter()
            json.loads(data)
            times.append(time.perf_counter() - start)
        name = path.rsplit("/", 1)[-1]
        print(f"{name:48} {statistics.median(times) * 1e3:14.3f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
