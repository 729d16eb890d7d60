#!/bin/sh
# bench_batch.sh - `taploop batch` at scale against local fakes: the fake Mobilerun server in
# --static mode (every device served from one snapshot, --latency-ms per device call) and the
# fake LLM with a fixed latency (--delay-ms). Prints, per device count: the wall time, the
# ideal time (rounds x a job's latency, rounds = ceil(devices / parallel); a job is STEPS
# observations and LLM calls and STEPS-1 actions, nothing in parallel), their
# ratio, the peak RSS of taploop (/usr/bin/time -v) and the RSS per device.
#
#   bench/bench_batch.sh BUILD_DIR [DEVICES...]      (default: 100 500 1000)
#   env: PARALLEL (default: = devices), STEPS (3), LLM_MS (1000), MR_MS (50)
#
# Run it on a Release build. The fakes are Python: at high request rates they, not taploop,
# limit the throughput (their CPU time is printed too). bench_batch_fast.sh measures the same
# batch against bench/fake_fast (C, epoll, timer latency), which is not the bottleneck.
set -eu
BUILD=${1:?usage: bench_batch.sh BUILD_DIR [DEVICES...]}
shift
TAPLOOP=$(cd "$BUILD" && pwd)/taploop
HERE=$(cd "$(dirname "$0")" && pwd)
FAKES="$HERE/../tests/fakes"
STEPS=${STEPS:-3}
LLM_MS=${LLM_MS:-1000}
MR_MS=${MR_MS:-50}
WORK=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill $p 2>/dev/null || true; done; rm -rf "$WORK"' EXIT INT TERM
[ $# -gt 0 ] || set -- 100 500 1000

wait_port() {
    for _ in $(seq 1 400); do [ -s "$1" ] && return 0; sleep 0.05; done
    echo "a fake server did not start" >&2
    exit 1
}

# the fake LLM: steps 1..STEPS-1 press home, then done
{
    printf '{"rules": ['
    i=1
    while [ "$i" -lt "$STEPS" ]; do
        printf '{"step": %d, "tool": "press_key", "args": {"key": "home"}},' "$i"
        i=$((i + 1))
    done
    printf '{"tool": "done", "args": {"success": true, "message": "ok"}}]}\n'
} >"$WORK/llm.json"

printf '%8s %8s %8s %9s %9s %6s %10s %12s %10s %10s\n' devices parallel steps wall_s ideal_s \
    ratio peak_rss_MiB rss_per_dev_KiB taploop_cpu_s fakes_cpu_s
for N in "$@"; do
    P=${PARALLEL:-$N}
    {
        printf '{"key": "bench-key", "page_size": 100, "devices": ['
        i=1
        while [ "$i" -le "$N" ]; do
            printf '{"id": "d%05d"}%s' "$i" "$([ "$i" -lt "$N" ] && echo ,)"
            i=$((i + 1))
        done
        printf ']}\n'
    } >"$WORK/mr.json"
    {
        printf 'driver: mobilerun\nparallel: %d\nmax_steps: %d\ndevices: all\n' "$P" "$((STEPS + 2))"
        printf 'goals: [Go home]\n'
    } >"$WORK/batch.yaml"
    rm -f "$WORK/mr.port" "$WORK/llm.port"
    python3 "$FAKES/fake_mobilerun.py" --taploop "$TAPLOOP" --config "$WORK/mr.json" --static \
        --latency-ms "$MR_MS" --port-file "$WORK/mr.port" --idle-timeout 120 2>"$WORK/mr.err" &
    MR=$!
    python3 "$FAKES/fake_openai.py" --script "$WORK/llm.json" --delay-ms "$LLM_MS" \
        --port-file "$WORK/llm.port" --idle-timeout 120 2>"$WORK/llm.err" &
    LLM=$!
    PIDS="$MR $LLM"
    wait_port "$WORK/mr.port"
    wait_port "$WORK/llm.port"
    t0=$(date +%s.%N)
    set +e
    MOBILERUN_API_KEY=bench-key MOBILERUN_BASE_URL="http://127.0.0.1:$(cat "$WORK/mr.port")/v1" \
        /usr/bin/time -v "$TAPLOOP" batch "$WORK/batch.yaml" \
        --llm-url "http://127.0.0.1:$(cat "$WORK/llm.port")/v1" --no-trace --settle-max 0 -q \
        --json >"$WORK/out.jsonl" 2>"$WORK/time.txt"
    code=$?
    set -e
    t1=$(date +%s.%N)
    fakes_cpu=$(for p in $MR $LLM; do awk '{print ($14 + $15) / 100}' "/proc/$p/stat"; done |
        awk '{s += $1} END {printf "%.1f", s}')
    kill $MR $LLM 2>/dev/null || true
    wait $MR $LLM 2>/dev/null || true
    PIDS=""
    passed=$(jq -r 'select(.summary) | .summary.passed' "$WORK/out.jsonl")
    [ "$code" = 0 ] && [ "$passed" = "$N" ] ||
        { echo "batch of $N exited $code, $passed passed: $(tail -3 "$WORK/time.txt")" >&2; }
    rss_kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt")
    cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$WORK/time.txt")
    # per job: STEPS x (observation: tree and screenshot at once, + LLM call) and STEPS-1
    # actions (the last step is done)
    rounds=$(((N + P - 1) / P))
    awk -v n="$N" -v p="$P" -v s="$STEPS" -v t0="$t0" -v t1="$t1" -v llm="$LLM_MS" \
        -v mr="$MR_MS" -v r="$rounds" -v rss="$rss_kb" -v cpu="$fakes_cpu" -v tcpu="$cpu" 'BEGIN {
        wall = t1 - t0; ideal = r * (s * (llm + mr) + (s - 1) * mr) / 1000.0
        printf "%8d %8d %8d %9.1f %9.1f %6.2f %10.1f %12.0f %10s %10s\n", n, p, s, wall, ideal,
            wall / ideal, rss / 1024, rss / n, tcpu, cpu }'
done
