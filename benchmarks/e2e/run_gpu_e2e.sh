#!/usr/bin/env bash
# Photos to .sog on the GPU machine: `spaceport run` on fox (50 photos, 1080x1920), standard preset.
#
# Run from the repository root through the device tool, carrying the git-ignored wheel folders and the
# fox photos (`OURS_ONLY=1 bash benchmarks/trainer/prepare_carry.sh` builds `.whl`, `.whl-e2e` and `.baseline`;
# `.jit` holds a compiled gsplat that an earlier call brought back, see benchmarks/gpu/site.sh):
#   run(command='RUNS=2 bash benchmarks/e2e/run_gpu_e2e.sh', carry=['.whl', '.whl-e2e', '.baseline', '.jit'])
# gsplat's CUDA code is compiled (or loaded) first and is not part of the timed run (it is once per machine).
# Results in $OUT: log.txt, gpu.txt, run<i>.json and ref<i>.json per run, one preview (and gsplat_cuda.so.xz
# with SAVE_JIT=1). GPU_TESTS=1 runs tests/gpu before the timed runs. Our trainer alone on the reference
# sparse model, on the same machine: benchmarks/trainer/run_gpu.sh first (see run_gpu_protocols.sh).
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
[ -n "${SAVE_JIT:-}" ] && save_jit "$OUT"  # SAVE_JIT=1: the compiled gsplat comes back for `.jit/`
if [ -n "${GPU_TESTS:-}" ]; then  # GPU_TESTS=1: tests/gpu first, on the same machine
    PYTHONPATH=$PYTHONPATH:$PWD python3 -m pytest -q -p no:cacheprovider --noconftest tests/gpu 2>&1 | tail -6
fi

# RUNS=n repeats the whole run (fresh output folder each time) to show its spread; each run's four reports
# go into $OUT/run<i>.json (the job's, sfm's, trainer's and compressor's, under those keys).
for i in $(seq 1 "${RUNS:-1}"); do
    rm -rf "$W/fox-run"
    t0=$(date +%s.%N)
    python3 -m spaceport_app run .baseline/fox/images --out "$W/fox-run" --preset standard
    code=$?
    echo "run $i: spaceport run exit code $code, wall $(python3 -c "import time; print(round(time.time() - $t0, 1))") s"
    job=$(ls -d "$W"/fox-run/jobs/*/ | head -1)
    python3 - "$job" "$OUT/run$i.json" <<'PY'
import json, pathlib, sys
job = pathlib.Path(sys.argv[1])
parts = {"job": job / "report.json", **{s: job / s / "report.json" for s in ("sfm", "trainer", "compressor")}}
out = {k: json.loads(p.read_text()) if p.exists() else None for k, p in parts.items()}
if out["trainer"]:
    out["trainer"].pop("loss_log", None)
pathlib.Path(sys.argv[2]).write_text(json.dumps(out, indent=1))
PY
    first=$(ls "$job"/trainer/previews/*.png 2>/dev/null | head -1)
    [ -n "$first" ] && cp "$first" "$OUT/preview.png"
    ls -la "$job/trainer" "$job/compressor"
    # the model scored on the whole original frames and on the reference trainer's undistorted crops, through
    # 3DGUT and through the classic rasterizer (what web viewers draw): $OUT/ref<i>.json
    python3 benchmarks/trainer/reference_protocol.py --sparse "$job/sfm/sparse/0" --images .baseline/fox/images \
        --ply "$job/trainer/model.ply" --json "$OUT/ref$i.json" | tail -1
done
