#!/usr/bin/env bash
# Photos to .sog on the GPU machine: `spaceport run` on fox (50 photos, 1080x1920), standard preset.
#
# Run from the repository root through the device tool, carrying the git-ignored wheel folders and the
# fox photos (benchmarks/trainer/prepare_carry.sh builds `.whl` and `.baseline`; `.whl-e2e` holds the
# kernel's extra wheels: pydantic-settings, python-dotenv, aio-pika, aiormq, pamqp, typer, click):
#   run(command='bash benchmarks/e2e/run_gpu_e2e.sh', carry=['.whl', '.whl-e2e', '.baseline'], timeout_s=600)
# gsplat's CUDA code is compiled first and is not part of the timed run (it is once per machine).
# Results in $OUT: log.txt, gpu.txt, report.json and the three stage reports, one preview.
set -uo pipefail
OUT=${OUT:-/tmp/e2e-out}
W=/tmp/spaceport-gpu
SITE=$W/site
export TORCH_CUDA_ARCH_LIST=9.0 MAX_JOBS=16 PYTHONUNBUFFERED=1 CUDA_VISIBLE_DEVICES=0
export TORCH_EXTENSIONS_DIR=$W/torch_ext SPACEPORT_THREADS=0
mkdir -p "$W" "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
echo "cpus: $(nproc)"

source benchmarks/gpu/site.sh
install_site || exit 1
export PYTHONPATH=$SITE:$PWD/shared:$PWD/services/sfm:$PWD/services/trainer:$PWD/services/compressor:$PWD/services/monitor

t0=$(date +%s)
python3 -c "from gsplat.cuda._backend import _C; print('gsplat compiled:', _C is not None)" || exit 1
echo "gsplat compile (not timed below): $(($(date +%s) - t0)) s"

rm -rf "$W/fox-run"
t0=$(date +%s.%N)
python3 -m spaceport run .baseline/fox/images --out "$W/fox-run" --preset standard
code=$?
echo "spaceport run exit code $code, wall $(python3 -c "import time; print(round(time.time() - $t0, 1))") s"

job=$(ls -d "$W"/fox-run/jobs/*/ | head -1)
cp "$job/report.json" "$OUT/report.json"
cp "$job/sfm/report.json" "$OUT/sfm-report.json"
cp "$job/trainer/report.json" "$OUT/trainer-report.json"
cp "$job/compressor/report.json" "$OUT/compressor-report.json"
first=$(ls "$job"/trainer/previews/*.png 2>/dev/null | head -1)
[ -n "$first" ] && cp "$first" "$OUT/preview.png"
ls -la "$job/trainer" "$job/compressor"

# Optional, same machine: our trainer on the undistorted photos (classic rasterizer, the baseline's input
# kind) beside the 3DGUT path, to see what training on the distorted photos costs. EXTRA_RUNS="" skips it.
EXTRA_RUNS=${EXTRA_RUNS-"standard:camera=undistort standard"}
if [ -n "$EXTRA_RUNS" ]; then
    FOX=$W/fox
    if [ ! -d "$FOX/sparse/0" ]; then
        mkdir -p "$FOX" && tar xJf .baseline/fox/sparse.tar.xz -C "$FOX"
        ln -sfn "$PWD/.baseline/fox/images" "$FOX/images"
    fi
    args=()
    for r in $EXTRA_RUNS; do args+=(--run "$r"); done
    python3 benchmarks/trainer/bench_fox.py --scene "$FOX" --out "$W/extra" --set checkpoint_every=1000000 \
        "${args[@]}" > "$W/extra.log" 2>&1
    grep -E "^RUN|Traceback|Error" "$W/extra.log"
fi
