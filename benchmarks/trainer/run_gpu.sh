#!/usr/bin/env bash
# GPU benchmark: our trainer on fox (data factor 2, every 8th photo by name held out) and, in the same run
# on the same GPU, gsplat's own examples/simple_trainer.py v1.5.3 (`default` preset, scored at 7k steps).
#
# Run from the repository root on the GPU machine (device tool), carrying the git-ignored `.whl` and
# `.baseline` folders that prepare_carry.sh builds:
#   bash benchmarks/trainer/run_gpu.sh "standard preview" baseline
# $1: our runs (bench_fox.py --run specs, space-separated); $2: "baseline" to run the baseline too.
# Env: SKIP_TESTS=1 skips tests/gpu (GPU_TESTS=path runs those only); PROFILE_SPLATS=N profiles one step at N splats
# first, at each resolution factor of PROFILE_COARSE (default "1": full resolution); SAVE_JIT=1 brings the
# compiled gsplat back as $OUT/gsplat_cuda.so.xz (put it in `.jit/` and carry that: no compile next time);
# ERRORS=label writes where that run loses held-out PSNR (heldout_errors.py) to $OUT/errors.png and the log.
# Results: $OUT/log.txt, $OUT/ours.json, $OUT/baseline.json, $OUT/gpu.txt and one preview.
set -uo pipefail
OUT=${OUT:-/tmp/bench-out}
W=/tmp/spaceport-gpu
SITE=$W/site
FOX=$W/fox
RUNS=${1:-standard}
WITH_BASELINE=${2:-}
export TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=16 PYTHONUNBUFFERED=1 CUDA_VISIBLE_DEVICES=0
export TORCH_EXTENSIONS_DIR=$W/torch_ext http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9
mkdir -p "$W" "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

# Install once per machine: re-installing gsplat gives its sources new times, and ninja rebuilds.
source benchmarks/gpu/site.sh
install_site || exit 1
export PYTHONPATH=$SITE:$PWD/shared:$PWD/services/trainer:$PWD

# The fox scene as both trainers read it: original photos, the baseline's sparse model.
if [ ! -d "$FOX/sparse/0" ]; then
    mkdir -p "$FOX/images_2" && tar xJf .baseline/fox/sparse.tar.xz -C "$FOX"
    ln -sfn "$PWD/.baseline/fox/images" "$FOX/images"
    for f in .baseline/fox/images/*.jpg; do ln -sf "$PWD/$f" "$FOX/images_2/"; done
fi

t0=$(date +%s)
python3 -c "from gsplat.cuda._backend import _C; print('gsplat compiled:', _C is not None)" &
pids=($!)
if [ -n "$WITH_BASELINE" ] && [ ! -d "$W/ssim/fused_ssim" ]; then
    cp -r .baseline/fused-ssim "$W/fused-ssim-src"
    python3 -m pip install -q --no-build-isolation --no-deps --target "$W/ssim" "$W/fused-ssim-src" &
    pids+=($!)
fi
wait "${pids[@]}"  # not a bare `wait`: it would also wait for the `tee` above
echo "compile: $(($(date +%s) - t0)) s"
[ -n "${SAVE_JIT:-}" ] && save_jit "$OUT"

if [ -z "${SKIP_TESTS:-}" ]; then
    python3 -m pytest -q -p no:cacheprovider --noconftest "${GPU_TESTS:-tests/gpu}" 2>&1 | tail -4
fi
if [ -n "${PROFILE_SPLATS:-}" ]; then
    for c in ${PROFILE_COARSE:-1}; do
        python3 benchmarks/trainer/profile_step.py --scene "$FOX" --splats "$PROFILE_SPLATS" --coarse "$c" 2>&1 | head -40
    done
fi

args=()
for r in $RUNS; do args+=(--run "$r"); done
python3 benchmarks/trainer/bench_fox.py --scene "$FOX" --out "$W/ours" --set checkpoint_every=1000000 \
    "${args[@]}" > "$W/ours.log" 2>&1
grep -E "^RUN|Traceback|Error" "$W/ours.log"
python3 - "$W/ours" "$OUT/ours.json" <<'PY'
import json, sys, pathlib
runs = {p.stem: json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).glob("*.json"))}
pathlib.Path(sys.argv[2]).write_text(json.dumps(runs, indent=1))
PY
if [ -n "${ERRORS:-}" ]; then
    python3 benchmarks/trainer/heldout_errors.py --scene "$FOX" --run-dir "$W/ours/$ERRORS" --png "$OUT/errors.png"
fi
first=$(ls "$W"/ours/*/previews/*.png 2>/dev/null | head -1)
[ -n "$first" ] && cp "$first" "$OUT/preview_ours.png"

if [ -n "$WITH_BASELINE" ]; then
    bash benchmarks/trainer/run_baseline.sh "$FOX" "$W" "$OUT"
fi
if [ -f "$OUT/baseline.json" ]; then  # this call's baseline or an earlier one on this machine
    python3 benchmarks/trainer/time_to_quality.py "$OUT/ours.json" "$OUT/baseline.json"
fi
