"""SfM benchmark on the shared photo sets: seconds per step, registration, points, error, and pose accuracy.

Usage (from the repository root, niced on a shared machine):
    nice python benchmarks/sfm/bench_sfm.py --run fox:default --run sceaux_castle:default --out .work/bench-sfm
Each `--run` is `dataset:profile[:field=value,...]` (profile: fast | default | enhanced; the optional
overrides set SfmParams fields on top, e.g. `fox:default:ba_use_gpu=false,ba_global_frames_ratio=1.4`).
Datasets come from `../shared/datasets` (or SPACEPORT_DATASETS). Writes `<out>/<dataset>-<label>.json`
(the full SfmReport plus the pose accuracy and the machine load) and prints one Markdown table row per run. On fox, the
camera poses are compared with `fox/transforms.json` (Umeyama similarity on the camera centres; rotation
error of each camera after the alignment; pairwise relative-rotation error, which needs no alignment).
"""

import argparse
import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog

from spaceport.criteria import Thresholds
from spaceport.params import JobOptions, SfmParams
from spaceport_sfm import RunOptions, SfmReport, reconstruct
from spaceport_sfm.evaluation import PoseAccuracy, compare_poses, load_sparse_model, load_transforms_json

REPO = Path(__file__).resolve().parents[2]
STEPS = ("validation", "extraction", "matching", "mapping", "statistics")


def datasets_root() -> Path:
    """`../shared/datasets` beside the repository, or SPACEPORT_DATASETS."""
    return Path(os.environ.get("SPACEPORT_DATASETS", REPO.parent / "shared" / "datasets"))


def pose_accuracy(dataset: Path, report: SfmReport) -> PoseAccuracy | None:
    """Accuracy against the dataset's transforms.json, when it has one and a model was built."""
    reference = dataset / "transforms.json"
    if report.sparse_dir is None or not reference.exists():
        return None
    return compare_poses(load_sparse_model(report.sparse_dir), load_transforms_json(reference))


@dataclass(frozen=True)
class BenchRun:
    """One dataset reconstructed with one profile, and the conditions it ran under."""

    dataset: str
    profile: str
    wall_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    cpus: int
    pose_accuracy: PoseAccuracy | None


def run_one(
    name: str, profile: str, out: Path, threads: int, overrides: Sequence[str] = ()
) -> tuple[BenchRun, SfmReport]:
    """Reconstruct one dataset with one profile (and overrides); writes `<out>/<name>-<label>.json`."""
    dataset = datasets_root() / name
    label = profile + "".join(f"-{assignment}" for assignment in overrides)
    work = out / f"work-{name}-{label}"
    shutil.rmtree(work, ignore_errors=True)
    preset = JobOptions(sfm=SfmParams.preset(profile))  # type: ignore[arg-type]
    params = preset.with_overrides([f"sfm.{assignment}" for assignment in overrides]).sfm
    load_before = os.getloadavg()
    start = time.monotonic()
    report = reconstruct(dataset / "images", work, params, options=RunOptions(threads=threads, thresholds=Thresholds()))
    run = BenchRun(
        name,
        label,
        round(time.monotonic() - start, 1),
        load_before,
        os.getloadavg(),
        os.cpu_count() or 0,
        pose_accuracy(dataset, report),
    )
    record = {**asdict(run), "report": json.loads(report.to_json())}
    (out / f"{name}-{label}.json").write_text(json.dumps(record, indent=1))
    return run, report


def table_row(run: BenchRun, report: SfmReport) -> str:
    """One Markdown row: dataset, profile, wall / CPU seconds per step, outcome figures, pose accuracy."""
    m = report.metrics
    attempt = report.attempts[-1] if report.attempts else None
    cpu = attempt.step_cpu_seconds if attempt else {}
    steps = [
        f"{m.step_seconds.get(s, 0):.1f} / {cpu[s]:.1f}" if s in cpu else f"{m.step_seconds.get(s, 0):.1f}"
        for s in STEPS
    ]
    accuracy = run.pose_accuracy
    pose = (
        [
            f"{accuracy.median_rotation_error_deg:.3f} / {accuracy.max_rotation_error_deg:.3f}",
            f"{100 * accuracy.median_centre_error:.3f} %",
        ]
        if accuracy
        else ["-", "-"]
    )
    pp = attempt.principal_point if attempt else None
    cells = [
        run.dataset,
        run.profile,
        f"{run.load_before[0]:.1f}",
        *steps,
        f"{run.wall_s:.0f}",
        f"{m.images_registered}/{m.images_total}",
        str(m.points3d),
        f"{m.mean_reprojection_error_px:.3f}",
        f"{m.mean_track_length:.2f}",
        *pose,
        pp.note if pp else "-",
        "pass" if report.passed else str(report.reason),
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    """Parse `--run dataset:profile` arguments and run each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="dataset:profile, e.g. fox:default")
    parser.add_argument("--out", type=Path, default=REPO / ".work" / "bench-sfm")
    parser.add_argument("--threads", type=int, default=0, help="pycolmap threads (0 = all cores)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        "| dataset | profile | load | validation s | extraction s (wall / CPU) | matching s | mapping s | "
        "statistics s | total s | registered | points | reproj px | track len | rot err median / max deg | "
        "centre err median | principal point | gate |"
    )
    print("|" + "---|" * 17)
    for spec in args.run:
        name, _, rest = spec.partition(":")
        profile, _, overrides = rest.partition(":")
        assignments = [item.strip() for item in overrides.split(",") if item.strip()]
        run = run_one(name, profile or "default", args.out, args.threads, assignments)
        print(table_row(*run), flush=True)


if __name__ == "__main__":
    main()
