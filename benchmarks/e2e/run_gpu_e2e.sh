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
source benchmarks/gpu/site.sh
export SPACEPORT_THREADS=0
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
echo "cpus: $(nproc)"

install_site || exit 1
export PYTHONPATH=$SITE:$REPO_PYTHONPATH
# SfM on the GPU when `.gpu-a/` (benchmarks/gpu/prepare_pycolmap_cuda.sh) came in this call or an earlier one
if [ -d .gpu-a ] || [ -f "$W/pycolmap-cuda/.installed" ]; then
    install_pycolmap_cuda || exit 1
    export PYTHONPATH=$PYTHONPATH_COLMAP:$PYTHONPATH
fi
python3 -c "import pycolmap; print('pycolmap', pycolmap.__version__, 'cuda:', pycolmap.has_cuda)" || exit 1
FOX=${FOX:-.data/fox/images}
[ -d "$FOX" ] || FOX=.baseline/fox/images

t0=$(date +%s)
python3 -c "from gsplat.cuda._backend import _C; print('gsplat compiled:', _C is not None)" || exit 1
echo "gsplat compile (not timed below): $(($(date +%s) - t0)) s"
[ -n "${SAVE_JIT:-}" ] && save_jit "$OUT"  # SAVE_JIT=1: the compiled gsplat comes back for `.jit/`
[ -d "$FOX" ] || { echo "no fox photos here (carry .data): setup only"; exit 0; }
# SFM_RUNS="fox:default fox:enhanced ...": benchmarks/sfm/bench_sfm.py rows on this machine first
if [ -n "${SFM_RUNS:-}" ]; then
    mkdir -p "$W/sfm-data" && ln -sfn "$PWD/$(dirname "$FOX")" "$W/sfm-data/fox"
    SPACEPORT_DATASETS=$W/sfm-data python3 benchmarks/sfm/bench_sfm.py --out "$W/bench-sfm" \
        $(for r in $SFM_RUNS; do echo --run "$r"; done) 2>&1 | grep -v "^[IWE][0-9]\{4\} "
fi
if [ -n "${GPU_TESTS:-}" ]; then  # GPU_TESTS=1: tests/gpu first, on the same machine
    PYTHONPATH=$PYTHONPATH:$PWD python3 -m pytest -q -p no:cacheprovider --noconftest tests/gpu 2>&1 | tail -6
fi

# RUNS=n repeats the whole run (fresh output folder each time) to show its spread; each run's four reports
# go into $OUT/run<i>.json (the job's, sfm's, trainer's and compressor's, under those keys).
for i in $(seq 1 "${RUNS:-1}"); do
    rm -rf "$W/fox-run"
    t0=$(date +%s.%N)
    python3 -m spaceport_app run "$FOX" --out "$W/fox-run" --preset standard > "$W/console$i.txt" 2>&1
    code=$?
    cat "$W/console$i.txt"
    # a quiet console: no COLMAP (glog "I1204 12:00:00" lines) or gsplat log line among ours
    echo "run $i: console lines $(wc -l < "$W/console$i.txt"), COLMAP-style $(grep -c '^[IWEF][0-9]\{4\} ' "$W/console$i.txt"), gsplat $(grep -ci 'gsplat' "$W/console$i.txt")"
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
    python3 benchmarks/trainer/reference_protocol.py --sparse "$job/sfm/sparse/0" --images "$FOX" \
        --ply "$job/trainer/model.ply" --json "$OUT/ref$i.json" | tail -1
done
