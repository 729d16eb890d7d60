#!/bin/sh
# bench_batch_fast.sh - `taploop batch` at scale against bench/fake_fast (one C process, epoll,
# latency injected by timers), which serves both the Mobilerun device API (every device the
# same ui-state and screenshot: a fresh sim phone's) and the chat endpoint (press_key home
# until the observation says "Step STEPS of", then done).
#
#   bench/bench_batch_fast.sh BUILD_DIR [DEVICES...]      (default: 100 500 1000)
#   env: PARALLEL (default: = devices), STEPS (3), LLM_MS (1000), MR_MS (50), RUNS (1),
#        LLM_PARALLEL (unset: taploop's default)
#
# The request sequence of one job (read from fake_fast --log): GET /devices/{id} when the
# session opens, then per step GET ui-state and the LLM call, and an action (POST global) after
# every step but the last: 2 x STEPS device calls and STEPS LLM calls, one after the other.
# Before any job, the device listing: ceil(devices / 100) pages, one after the other.
#   ideal = pages x MR + rounds x (STEPS x LLM + 2 x STEPS x MR),  rounds = ceil(devices/parallel)
# Printed per run: wall time, ideal, ratio, taploop's peak RSS (/usr/bin/time -v) and per
# device, taploop's CPU time (user + sys), its peak thread count and open descriptors (sampled
# from /proc every 0.25 s), the fake's CPU time, and the 1-minute load average before the run.
# Run it on a Release build (cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release).
set -eu
BUILD=${1:?usage: bench_batch_fast.sh BUILD_DIR [DEVICES...]}
shift
BUILD=$(cd "$BUILD" && pwd)
TAPLOOP=$BUILD/taploop
FAKE=$BUILD/bench/fake_fast
STEPS=${STEPS:-3}
LLM_MS=${LLM_MS:-1000}
MR_MS=${MR_MS:-50}
RUNS=${RUNS:-1}
WORK=$(mktemp -d)
FAKE_PID=""
trap '[ -z "$FAKE_PID" ] || kill "$FAKE_PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT INT TERM
[ $# -gt 0 ] || set -- 100 500 1000
[ -x "$FAKE" ] || { echo "no $FAKE: build the bench target" >&2; exit 2; }

# one fresh sim phone's ui-state and screenshot, served for every device
XDG_STATE_HOME="$WORK/sim" "$TAPLOOP" observe --dump - --device sim:bench >"$WORK/tree.json" \
    2>/dev/null
XDG_STATE_HOME="$WORK/sim" "$TAPLOOP" observe --screenshot "$WORK/shot.png" --device sim:bench >/dev/null \
    2>/dev/null

# sample PID FILE: one line "threads descriptors" every 0.25 s while PID runs
sample() {
    pid=$1
    out=$2
    : >"$out"
    while kill -0 "$pid" 2>/dev/null; do
        t=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        f=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        echo "${t:-0} $f" >>"$out"
        sleep 0.25
    done
}

printf '%7s %6s %5s %5s %7s %7s %6s %8s %8s %7s %7s %5s %8s %5s\n' devices par steps llm_s \
    wall_s ideal_s ratio rss_MiB KiB_dev tl_cpu threads fds fake_cpu load
for N in "$@"; do
    P=${PARALLEL:-$N}
    run=1
    while [ "$run" -le "$RUNS" ]; do
        printf 'driver: mobilerun\nparallel: %d\nmax_steps: %d\ndevices: all\ngoals: [Go home]\n' \
            "$P" "$((STEPS + 2))" >"$WORK/batch.yaml"
        rm -f "$WORK/port"
        "$FAKE" --port-file "$WORK/port" --devices "$N" --tree "$WORK/tree.json" \
            --png "$WORK/shot.png" --device-ms "$MR_MS" --llm-ms "$LLM_MS" --steps "$STEPS" \
            --idle-timeout 60 2>"$WORK/fake.err" &
        FAKE_PID=$!
        i=0
        while [ ! -s "$WORK/port" ]; do
            i=$((i + 1))
            [ "$i" -lt 200 ] || { echo "fake_fast did not start" >&2; exit 1; }
            sleep 0.05
        done
        URL="http://127.0.0.1:$(cat "$WORK/port")/v1"
        load=$(cut -d' ' -f1 /proc/loadavg)
        t0=$(date +%s.%N)
        set +e
        # shellcheck disable=SC2086
        MOBILERUN_API_KEY=bench-key MOBILERUN_BASE_URL="$URL" XDG_STATE_HOME="$WORK/state" \
            /usr/bin/time -v "$TAPLOOP" batch "$WORK/batch.yaml" --llm-url "$URL" --no-trace \
            --settle-max 0 -q --json ${LLM_PARALLEL:+--llm-parallel "$LLM_PARALLEL"} \
            >"$WORK/out.jsonl" 2>"$WORK/time.txt" &
        TIME_PID=$!
        TL=""
        while [ -z "$TL" ] && kill -0 "$TIME_PID" 2>/dev/null; do
            TL=$(pgrep -P "$TIME_PID" || true)
            [ -n "$TL" ] || sleep 0.01
        done
        if [ -n "$TL" ]; then sample "$TL" "$WORK/samples"; else : >"$WORK/samples"; fi
        wait "$TIME_PID"
        code=$?
        set -e
        t1=$(date +%s.%N)
        fake_cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$FAKE_PID/stat")
        kill "$FAKE_PID" 2>/dev/null || true
        wait "$FAKE_PID" 2>/dev/null || true
        FAKE_PID=""
        passed=$(jq -r 'select(.summary) | .summary.passed' "$WORK/out.jsonl" 2>/dev/null || true)
        [ "$code" = 0 ] && [ "$passed" = "$N" ] ||
            echo "batch of $N exited $code, ${passed:-?} passed: $(tail -3 "$WORK/time.txt")" >&2
        [ -z "${VERBOSE:-}" ] || cat "$WORK/fake.err" >&2
        rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' \
            "$WORK/time.txt")
        cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/time.txt")
        threads=$(awk 'BEGIN {m = 0} $1 > m {m = $1} END {print m}' "$WORK/samples")
        fds=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$WORK/samples")
        awk -v n="$N" -v p="$P" -v s="$STEPS" -v t0="$t0" -v t1="$t1" -v llm="$LLM_MS" \
            -v mr="$MR_MS" -v rss="$rss_kb" -v tcpu="$cpu" -v fcpu="$fake_cpu" \
            -v th="$threads" -v fds="$fds" -v load="$load" 'BEGIN {
            rounds = int((n + p - 1) / p); pages = int((n + 99) / 100)
            wall = t1 - t0; ideal = (pages * mr + rounds * (s * llm + 2 * s * mr)) / 1000.0
            printf "%7d %6d %5d %5.1f %7.2f %7.2f %6.2f %8.1f %8.0f %7s %7d %5d %8s %5s\n", n, p,
                s, llm / 1000.0, wall, ideal, wall / ideal, rss / 1024, rss / n, tcpu, th, fds,
                fcpu, load }'
        run=$((run + 1))
    done
done
