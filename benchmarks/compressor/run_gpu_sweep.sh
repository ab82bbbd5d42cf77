#!/usr/bin/env bash
# Issue 19 on the GPU machine, in one device call: train fox at `standard` (`spaceport run`), then score SOG
# variants of that model on all seven held-out views with `heldout_sweep.py --ablate` (each variant's drop, and
# what putting back each attribute group recovers). Run from the repository root, carrying the wheels and fox
# (`OURS_ONLY=1 bash benchmarks/trainer/prepare_carry.sh`, `bash benchmarks/quality/prepare_data.sh`):
#   run(command='bash benchmarks/compressor/run_gpu_sweep.sh', carry=['.whl', '.whl-e2e', '.data'], timeout_s=600)
# VARIANTS overrides the list (names as in variants.py). $OUT gets sweep.json, log.txt and the job's reports.
set -uo pipefail
OUT=${OUT:-/tmp/sweep-out}
source benchmarks/gpu/site.sh
export SPACEPORT_THREADS=0
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
python3 -c "from gsplat.cuda._backend import _C; assert _C is not None" || exit 1
job=$(ls -d "$W"/fox-sweep/jobs/*/ 2>/dev/null | head -1)
if [ -z "$job" ] || [ ! -f "$job/trainer/model.ply" ]; then  # a warm machine keeps the model of an earlier call
    rm -rf "$W/fox-sweep"
    python3 -m spaceport_app run .data/fox/images --out "$W/fox-sweep" --preset standard | tail -3
    job=$(ls -d "$W"/fox-sweep/jobs/*/ | head -1)
fi
for stage in trainer compressor; do
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); r.pop('loss_log', None); json.dump(r, open(sys.argv[2], 'w'), indent=1)" \
        "$job/$stage/report.json" "$OUT/$stage-report.json"
done
variants=${VARIANTS:-default o0 sl128+cl128 w1 p32768 i30 p32768+i30 h2 sl128+cl128+w1}
python3 benchmarks/compressor/heldout_sweep.py --sparse "$job/sfm/sparse/0" --images .data/fox/images \
    --ply "$job/trainer/model.ply" --undistorted --ablate --json "$OUT/sweep.json" \
    $(for v in $variants; do echo --variant "$v"; done)
