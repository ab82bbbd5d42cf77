"""Train our trainer on a COLMAP scene (fox) once per preset/override and record what each run achieved.

Usage (GPU machine, see run_gpu.sh):
    python benchmarks/trainer/bench_fox.py --scene DIR --out DIR --run standard \
        --run "standard:steps=5000,densify.refine_every=50"
Each `--run` is a preset name, optionally followed by `:` and comma-separated `dotted.key=value` overrides
(values parsed as JSON when they parse). Writes `<out>/<label>.json` (the TrainReport plus torchmetrics
cross-checks when torchmetrics is installed) and prints one summary line per run.
"""

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

import structlog
import torch

from spaceport.params.trainer import TrainParams
from spaceport_splats.render import render
from spaceport_trainer.train import train


def parse_run(spec: str, common: list[str]) -> tuple[str, TrainParams]:
    """`preset[:k=v,...]` -> (label, params)."""
    preset, _, rest = spec.partition(":")
    data = TrainParams.preset_named(preset).model_dump()  # type: ignore[arg-type]
    for item in [*common, *filter(None, re.split(r",(?![^\[]*\])", rest))]:
        key, _, raw = item.partition("=")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        target = data
        *parents, leaf = key.split(".")
        for p in parents:
            target = target[p]  # type: ignore[assignment]
        target[leaf] = value  # type: ignore[index]
    label = spec.replace(":", "_").replace(",", "_").replace("=", "-").replace(".", "")
    return label, TrainParams.model_validate(data)


def rescore(scene: Path, out_dir: Path, params: TrainParams) -> dict[str, float] | None:
    """Re-score the exported model on the held-out views with torchmetrics (the baseline's metric code)."""
    try:
        from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure
    except ImportError:
        return None
    from spaceport_splats.colmap import read_sparse_model
    from spaceport_splats.dataset import load_scene
    from spaceport_splats.export import from_world, read_ply, to_splats

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = load_scene(
        read_sparse_model(scene / "sparse" / "0"),
        scene / "images",
        params.data_factor,
        params.max_image_side,
        params.test_every,
        device,
    )
    splats = to_splats(from_world(read_ply(out_dir / "model.ply"), data.transform), device)
    psnr_m = PeakSignalNoiseRatio(data_range=1.0).to(device)
    ssim_m = StructuralSimilarityIndexMeasure(data_range=1.0).to(device)
    ps, ss = [], []
    with torch.no_grad():
        for v in data.test:
            img = render(splats, v.camera, params.sh_degree).image.clamp(0, 1).permute(2, 0, 1)[None]
            gt = v.target().permute(2, 0, 1)[None]
            ps.append(float(psnr_m(img, gt)))
            ss.append(float(ssim_m(img, gt)))
    return {"psnr": sum(ps) / len(ps), "ssim": sum(ss) / len(ss)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scene", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--run", action="append", required=True)
    parser.add_argument("--set", action="append", default=[], help="override for every run: key=value")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    for spec in args.run:
        label, params = parse_run(spec, args.set)
        out = Path(args.out) / label
        t0 = time.perf_counter()
        try:
            report = train(Path(args.scene), out, params)
        except Exception as exc:  # keep going with the next configuration
            print(f"RUN {label} FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        record = json.loads(report.model_dump_json())
        record.pop("loss_log", None)
        record["torchmetrics"] = rescore(Path(args.scene), out, params)
        record["wall_seconds"] = time.perf_counter() - t0
        (Path(args.out) / f"{label}.json").write_text(json.dumps(record, indent=1))
        f = report.final
        ttq = [
            (e.step, round(e.psnr or 0, 3), round(e.ssim or 0, 4), round(e.train_seconds or 0, 1))
            for e in report.evaluations
        ]
        print(
            f"RUN {label}: PSNR {f.psnr:.3f} SSIM {f.ssim:.4f} (torchmetrics {record['torchmetrics']}) "
            f"gaussians {report.gaussians} train {report.train_seconds:.2f}s peak "
            f"{report.peak_memory_bytes / 2**30:.3f} GiB steps {report.steps} renderer {report.renderer} "
            f"evals (step, PSNR, SSIM, train s) {ttq}",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
