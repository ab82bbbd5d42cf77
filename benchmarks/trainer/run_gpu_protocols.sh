#!/usr/bin/env bash
# Our held-out scores on both protocols, on the GPU machine: `standard` on the reference sparse model and one
# `spaceport run` (photos to .sog), each model then scored by reference_protocol.py (whole frame, and the
# reference trainer's undistorted crop). Carry: .whl .whl-e2e .baseline .jit (see run_gpu_e2e.sh).
# Results in $OUT: ours.json, run1.json, ref_standard.json, ref1.json (run_gpu_e2e.sh scores its own), log.txt, gpu.txt.
set -uo pipefail
OUT=${OUT:-/tmp/bench-out}
W=/tmp/spaceport-gpu
SKIP_TESTS=1 bash benchmarks/trainer/run_gpu.sh standard
RUNS=1 bash benchmarks/e2e/run_gpu_e2e.sh > /dev/null 2>&1
rm -f "$OUT/preview.png" "$OUT/preview_ours.png"
export PYTHONPATH=$W/site:$PWD/shared:$PWD/services/trainer GSPLAT_PREBUILT_SO=$W/jit/gsplat_cuda.so
python3 benchmarks/trainer/reference_protocol.py --sparse "$W/fox/sparse/0" --images .baseline/fox/images \
    --ply "$W/ours/standard/model.ply" --json "$OUT/ref_standard.json" | tail -1
grep -E "run 1:|total" "$OUT/log.txt" | tail -3
