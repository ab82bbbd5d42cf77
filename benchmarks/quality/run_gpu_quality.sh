#!/usr/bin/env bash
# The quality benchmark's GPU rows for runs longer than one device call: a detached queue on the device machine
# that outlives the call which started it (the machine stays warm 30 s after a call: chain the calls). In sessions
# 9 and 10 chained calls found a fresh machine (the next call came later than 30 s), so plan for a queue that
# finishes inside the call that starts it; a later call only collects when it reaches the same machine. At today's
# speed no `quality` row fits one call (the jittered demo alone: 21.7 s per 1,000 steps, about 650 s of training).
#
# Each call (from the repository root, carrying `.whl`, `.whl-e2e`, `.data` and, if there is one, `.jit`; see
# run_gpu_suite.sh) starts the queue unless it is already running or done, waits until the queue is done or until
# WAIT seconds after the call began, then copies the records and logs to $OUT:
#   run(command='PRESET=quality SCENES="fox sceaux_castle" WAIT=560 bash benchmarks/quality/run_gpu_quality.sh',
#       carry=['.whl', '.whl-e2e', '.data'], timeout_s=600)
# PARALLEL=1 runs the scenes at once (their SfM overlaps the others' training; seconds are then shared-card
# upper bounds); by default one after another, so each row's seconds are its own. STOP=1 ends the queue (by the
# process group in its pid file: never by a `pkill -f` pattern, which also matches the device tool's own shell).
# CPU_DRY_RUN=1 skips the GPU checks (to try the queue on a CPU machine, e.g. PRESET=preview SCENES=demo-landscape).
# $OUT gets records.jsonl (one `SceneResult` per finished scene), events.txt, and logs.tgz (each scene's log).
set -uo pipefail
began=$(date +%s)
OUT=${OUT:-/tmp/quality-out}
source benchmarks/gpu/site.sh
Q=$W/queue-${PRESET:-quality}
export SPACEPORT_THREADS=0 SPACEPORT_DATASETS=$PWD/.data
mkdir -p "$Q" "$OUT"
[ -n "${CPU_DRY_RUN:-}" ] || install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
scenes=${SCENES:-demo-exposure-jitter sceaux_castle fox demo-phone-video}

if [ -n "${STOP:-}" ] && [ -f "$Q/queue.pid" ]; then
    kill -- "-$(cat "$Q/queue.pid")" 2>/dev/null && echo "$(date +%T) stopped" >> "$Q/events.txt"
    rm -f "$Q/queue.pid"
elif [ ! -f "$Q/done" ] && ! { [ -f "$Q/queue.pid" ] && kill -0 "$(cat "$Q/queue.pid")" 2>/dev/null; }; then
    cat > "$Q/queue.sh" <<QUEUE
set -u
cd "$PWD"
if [ -z "${CPU_DRY_RUN:-}" ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> "$Q/events.txt"
    t0=\$(date +%s)
    python3 -c "from gsplat.cuda._backend import _C; assert _C is not None" || exit 1
    echo "\$(date +%T) gsplat ready in \$((\$(date +%s) - t0)) s" >> "$Q/events.txt"
fi
run_one() {
    [ -f "$Q/\$1.done" ] && return
    echo "\$(date +%T) start \$1" >> "$Q/events.txt"
    python3 benchmarks/quality/run.py --preset "${PRESET:-quality}" --scenes "\$1" --out "$Q/\$1.jsonl" > "$Q/\$1.log" 2>&1
    echo "\$(date +%T) end \$1 (exit \$?)" >> "$Q/events.txt"
    touch "$Q/\$1.done"
}
for s in $scenes; do
    if [ -n "${PARALLEL:-}" ]; then run_one "\$s" & else run_one "\$s"; fi
done
wait
touch "$Q/done"
QUEUE
    setsid nohup bash "$Q/queue.sh" < /dev/null > "$Q/queue.log" 2>&1 &
    echo $! > "$Q/queue.pid"
    echo "$(date +%T) queue started: $scenes" >> "$Q/events.txt"
fi

alive() { [ -f "$Q/queue.pid" ] && kill -0 "$(cat "$Q/queue.pid")" 2>/dev/null; }
while [ ! -f "$Q/done" ] && alive && [ $(($(date +%s) - began)) -lt "${WAIT:-540}" ]; do sleep 5; done
for s in $scenes; do
    [ -f "$Q/$s.log" ] && { echo "== $s"; grep -v "^[IWE][0-9]\{4\} " "$Q/$s.log" | tail -2 | cut -c1-300; }
done
cat "$Q/events.txt"
cat "$Q"/*.jsonl > "$OUT/records.jsonl" 2>/dev/null
[ -n "${CPU_DRY_RUN:-}" ] || [ -f .jit/gsplat_cuda.so.xz ] || save_jit "$OUT"  # carry it next time as .jit/
tar czf "$OUT/logs.tgz" -C "$Q" --exclude='*.pid' . 2>/dev/null
