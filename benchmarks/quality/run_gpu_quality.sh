#!/usr/bin/env bash
# The quality benchmark's GPU rows for runs longer than one device call, in the detached queue of
# benchmarks/gpu/queue.sh (the machine stays warm 30 s after a call: chain the calls at once). In sessions 9 and 10
# chained calls found a fresh machine and the queue started over; in sessions 13 and 14 they reached the same one
# (the phone video's `quality` row: three calls, 1,089 s of pipeline). A queue is lost with its machine.
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
source benchmarks/gpu/queue.sh
Q=$W/queue-${PRESET:-quality}
export SPACEPORT_THREADS=0 SPACEPORT_DATASETS=$PWD/.data
mkdir -p "$Q" "$OUT"
[ -n "${CPU_DRY_RUN:-}" ] || install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
scenes=${SCENES:-demo-exposure-jitter sceaux_castle fox demo-phone-video}

queue_call "$Q" "$scenes" \
    "python3 benchmarks/quality/run.py --preset ${PRESET:-quality} --scenes \"\$1\" --out \"$Q/\$1.jsonl\"" \
    "$began" "$OUT"
cat "$Q"/*.jsonl > "$OUT/records.jsonl" 2>/dev/null
