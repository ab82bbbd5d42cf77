#!/usr/bin/env bash
# The GPU regression suite (tests/gpu) on the GPU machine, recording each scene's figures for the quality table.
#
# Run from the repository root through the device tool, carrying the git-ignored wheels (`.whl`, `.whl-e2e`:
# `OURS_ONLY=1 bash benchmarks/trainer/prepare_carry.sh`), a compiled gsplat (`.jit`, see benchmarks/gpu/site.sh)
# and, for the real sets, `.data/` (a copy of ../shared/datasets/{fox,sceaux_castle}: `bash benchmarks/quality/
# prepare_data.sh`):
#   run(command='K="demo" bash benchmarks/quality/run_gpu_suite.sh', carry=['.whl', '.whl-e2e', '.jit'])
#   run(command='K="real" bash benchmarks/quality/run_gpu_suite.sh', carry=['.whl', '.whl-e2e', '.jit', '.data'])
# K is a pytest -k expression (empty: the whole suite). Results in $OUT: log.txt, records.jsonl (one
# `SceneResult` per scene: benchmarks/quality/results.json's GPU rows), gpu.txt.
set -uo pipefail
OUT=${OUT:-/tmp/quality-out}
source benchmarks/gpu/site.sh
export SPACEPORT_THREADS=0 SPACEPORT_DATASETS=$PWD/.data
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
t0=$(date +%s)
python3 -c "from gsplat.cuda._backend import _C; print('gsplat loaded:', _C is not None)" || exit 1
echo "gsplat load/compile: $(($(date +%s) - t0)) s"
SPACEPORT_QUALITY_RECORD=$OUT/records.jsonl timeout "${SUITE_TIMEOUT:-540}" python3 -m pytest -q -p no:cacheprovider \
    -o addopts="" tests/gpu -k "${K:-}" -rA --durations=0 2>&1 | grep -v "^I20\|^W20\|^E20" | tail -60
