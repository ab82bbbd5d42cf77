#!/usr/bin/env bash
# The scaling benchmark's GPU rows (issue 20): `bench_scale.py --preset standard` at each photo count, one after
# another in the detached queue of benchmarks/gpu/queue.sh, so that a 1,000-photo run (longer than one device call)
# goes on between calls chained at once. The courtyard scenes are generated on the machine (its 16 cores); the
# two-minute video needs ffmpeg, which the machine lacks, so it is not part of this queue.
#
# Each call, from the repository root, carrying `.whl`, `.whl-e2e` and, if there is one, `.jit`:
#   run(command='VIEWS="1000" WAIT=570 bash benchmarks/scale/run_gpu_scale.sh',
#       carry=['.whl', '.whl-e2e', '.jit'], timeout_s=600)
# starts the queue unless it is running or done, waits until it is done or WAIT s after the call began, and copies
# to $OUT: results.json (the rows, keyed by scene, preset and device: merge the new GPU rows into
# benchmarks/scale/results.json), events.txt and logs.tgz. PRESET (default standard) and VIEWS (default
# "50 200 500 1000") choose the runs; STOP=1 ends the queue; CPU_DRY_RUN=1 tries it on a CPU machine.
#
# FROM_SFM=1: each run trains and compresses a handed-over SfM (`bench_scale.py --until-sfm .handoff` on a CPU
# machine, then `benchmarks/scale/pack_handoffs.sh`), for photo counts whose SfM does not fit beside the training
# in one session's device time. Each call carries the parts it can in `.handoff-pack/` (64 MiB a call in all);
# they gather in $W/packs, a pack is unpacked once all its parts are there, and a run waits for its pack (at most
# PACK_WAIT s, default 900).
set -uo pipefail
began=$(date +%s)
OUT=${OUT:-/tmp/scale-out}
source benchmarks/gpu/site.sh
source benchmarks/gpu/queue.sh
preset=${PRESET:-standard}
Q=$W/scale-$preset
export SPACEPORT_THREADS=0
mkdir -p "$Q" "$OUT"
[ -n "${CPU_DRY_RUN:-}" ] || install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
views=${VIEWS:-50 200 500 1000}
command="python3 benchmarks/scale/bench_scale.py --preset $preset --views \"\$1\" --scenes $W/scale-scenes --out $W/scale-runs"
if [ -n "${FROM_SFM:-}" ]; then
    mkdir -p "$W/packs" "$W/handoff"
    [ -d .handoff-pack ] && cp .handoff-pack/* "$W/packs/"
    for parts in "$W"/packs/*.parts; do
        [ -f "$parts" ] || continue
        v=$(basename "$parts" .parts)
        if [ ! -d "$W/handoff/$v" ] && [ "$(ls "$W/packs/$v".tar.xz.part* | wc -l)" -eq "$(cat "$parts")" ]; then
            rm -rf "$W/handoff/.in"; mkdir -p "$W/handoff/.in"
            cat "$W/packs/$v".tar.xz.part* | xz -dc | tar xf - -C "$W/handoff/.in" && mv "$W/handoff/.in/$v" "$W/handoff/$v" \
                && echo "$(date +%T) pack $v in" >> "$Q/events.txt"
        fi
    done
    wait_pack="for i in \$(seq ${PACK_WAIT:-900}); do [ -f $W/handoff/\$1/row.json ] && break; sleep 1; done"
    command="$wait_pack; $command --from-sfm $W/handoff"
fi

queue_call "$Q" "$views" "$command" "$began" "$OUT"
cp benchmarks/scale/results.json "$OUT/results.json"
