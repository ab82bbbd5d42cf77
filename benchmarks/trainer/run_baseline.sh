#!/usr/bin/env bash
# gsplat v1.5.3 examples/simple_trainer.py (`default` preset, the 30k schedule scored at step 7000), as in
# ../shared/notes/baseline-gpu.md. Called by run_gpu.sh: run_baseline.sh FOX_DIR WORK_DIR OUT_DIR.
# Needs the git-ignored .baseline/ (gsplat examples with the viewer/LPIPS patch, the rmbrualla pycolmap
# with its numpy-2 patch, fused-ssim sources, tyro wheels). Its code is never committed here.
set -uo pipefail
FOX=$1
W=$2
OUT=$3
B=$PWD/.baseline
RES=$W/res_default
rm -rf "$RES"
export PYTHONPATH=$B/pycolmap_src:$W/ssim:$W/site
cd "$B/examples" || exit 1
timeout 400 python3 simple_trainer_noviewer.py default --disable_viewer --disable_video --data_dir "$FOX" \
    --data_factor 2 --result_dir "$RES" --max_steps 30000 --eval_steps 7000 --save_steps 7000 \
    > "$W/baseline_default.log" 2>&1 &
pid=$!
# Stop once the 7k evaluation is written: the figures to beat are those of the 30k schedule at 7k.
while kill -0 $pid 2>/dev/null; do
    if [ -f "$RES/stats/val_step6999.json" ]; then sleep 2; kill $pid; break; fi
    sleep 1
done
wait $pid 2>/dev/null
grep -E "Error|error" "$W/baseline_default.log" | grep -v LPIPS | tail -5
python3 - "$RES/stats" "$OUT/baseline.json" <<'PY'
import json, sys, pathlib
stats = pathlib.Path(sys.argv[1])
out = {p.stem: json.loads(p.read_text()) for p in sorted(stats.glob("*.json"))}
pathlib.Path(sys.argv[2]).write_text(json.dumps(out, indent=1))
print("BASELINE", json.dumps(out))
PY
