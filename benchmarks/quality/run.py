"""The quality benchmark: scenes through `spaceport run`, one JSON record per scene, preset and device.

    python benchmarks/quality/run.py --preset preview --out benchmarks/quality/raw/cpu-preview.jsonl
    python benchmarks/quality/run.py --preset standard --scenes fox demo-landscape --out gpu.jsonl

Scenes: the real sets under the datasets folder (`fox`, `sceaux_castle`) and the demo captures
(`demo-<capture>`, see `spaceport_app.demo.CAPTURES`). On the GPU machine the same records come from the GPU
regression suite (`benchmarks/quality/run_gpu_suite.sh`). `benchmarks/quality/results.json` gathers them.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.quality.scenes import REAL_SCENES, append_record, run_scene  # noqa: E402
from spaceport_app.demo import CAPTURES  # noqa: E402
from tests.conftest import datasets_root  # noqa: E402

DEFAULT_SCENES = (*REAL_SCENES, *(f"demo-{name}" for name in CAPTURES if name != "courtyard"))
"""Every real set and demo capture but the courtyard walk, which is the scale benchmark's (benchmarks/scale/)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="preview", choices=("preview", "standard", "quality"))
    parser.add_argument("--scenes", nargs="*", default=list(DEFAULT_SCENES))
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file the records are appended to")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="stage.field=value")
    args = parser.parse_args()
    for scene in args.scenes:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix=f"quality-{scene}-") as work:
            result, _ = run_scene(scene, args.preset, Path(work), datasets_root(), tuple(args.overrides))
        append_record(args.out, result)
        wall = time.perf_counter() - started
        psnr, ssim = result.psnr or float("nan"), result.ssim or float("nan")
        print(
            f"{scene:<24} {args.preset:<9} {result.device:<12} PSNR {psnr:6.2f} dB SSIM {ssim:.3f}  "
            f"{result.seconds:7.1f} s  (wall {wall:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
