"""Scaling benchmark: seconds and peak memory of each stage at 50 to 1,000 photos of the courtyard walk, and its
two-minute video, through the embedded pipeline (`spaceport run`'s code path), with pose error against the
generated truth and held-out PSNR.

Usage (from the repository root; on a shared machine under nice):
    nice .venv/bin/python benchmarks/scale/bench_scale.py --views 50 200 500 --video
    .venv/bin/python benchmarks/scale/bench_scale.py --preset standard --views 50 200 500 1000 --video   # GPU
    .venv/bin/python benchmarks/scale/bench_scale.py --table      # the table and growth fits of results.json

Scenes are generated once under `--scenes` (default `.work/scale-scenes`, outside git) and reused. Each run
adds or replaces its row in `benchmarks/scale/results.json` (keyed by scene, preset and device).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from growth import growth_exponent, n_log_n_exponent
from handoff import Handoff, differing_photos, pack_handoff, resume_from_handoff, run_until_sfm
from memory import MemorySampler
from rich.console import Console

from spaceport.events import Compressed, Envelope, ImagesReady, ModelTrained, SfmCompleted, StageProgress
from spaceport.logging import configure_logging
from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.cli.demo import sparse_poses
from spaceport_app.cli.follow import STAGE_OF_RESULT, ProgressDisplay
from spaceport_app.demo import CAPTURES, DemoScene, generate_scene, load_ground_truth, pose_errors
from spaceport_app.demo.video import VIDEO, generate_walk_video
from spaceport_app.embedded.pipeline import run_embedded
from spaceport_app.embedded.summary import summarize

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
STAGES = ("upload", "sfm", "trainer", "compressor")
MARKS = {ImagesReady: "upload", SfmCompleted: "sfm", ModelTrained: "trainer", Compressed: "compressor"}
GIB = 1024**3
EXHAUSTIVE_LIMIT = 120


class StageClock(ProgressDisplay):
    """Notes when each stage's result event arrives (a stage ends when its result is published), and prints a
    line per tenth of each stage with the time of day (in a log, a run stopped midway still says where it was)."""

    def __init__(self, console: Console) -> None:
        super().__init__(Console(file=console.file, force_terminal=False))
        self.ends: dict[str, float] = {}

    def show(self, event: Envelope) -> None:
        for kind, stage in MARKS.items():
            if isinstance(event, kind) and stage not in self.ends:
                self.ends[stage] = time.monotonic()
        if self._prints(event):
            self.console.print(time.strftime("%H:%M:%S"), end=" ", highlight=False)
        super().show(event)

    def _prints(self, event: Envelope) -> bool:
        """Whether `ProgressDisplay` prints a line for this event (a result, or a tenth more of a stage)."""
        if isinstance(event, StageProgress):
            return event.data.fraction - self._printed.get(event.data.stage, -1.0) >= 0.1
        return event.type in STAGE_OF_RESULT


def scene_for(scenes: Path, views: int | None) -> tuple[Path, DemoScene, float]:
    """The photo folder (or video) and truth of a courtyard scene, generated unless already there."""
    root = scenes / (f"courtyard-{views}" if views else "courtyard-video")
    start = time.perf_counter()
    try:
        truth = load_ground_truth(root)
    except (OSError, ValueError):
        if views:
            truth = generate_scene(root, views=views, capture=CAPTURES["courtyard"], workers=0)
        else:
            truth = generate_walk_video(root)
    generated = time.perf_counter() - start
    return (root / VIDEO if views is None else truth.images_dir), truth, generated


@dataclass(frozen=True)
class Split:
    """Which part of a job one run does: all of it, SfM alone (packed into the folder `until_sfm`), or the rest
    after a handed-over SfM (`handoff`)."""

    until_sfm: Path | None = None
    handoff: Handoff | None = None


def run_point(
    label: str,
    source: Path,
    truth: DemoScene,
    options: JobOptions,
    work: Path,
    console: Console,
    split: Split = Split(),
) -> dict[str, Any]:
    """One embedded job (or its part, `split`) with per-stage seconds and peak memory, pose error and held-out
    PSNR."""
    shutil.rmtree(work, ignore_errors=True)
    settings = Settings(work_dir=work / ".work")
    clock, sampler = StageClock(console), MemorySampler()
    load_before = os.getloadavg()
    sampler.start()
    start = time.monotonic()
    if split.handoff is not None:
        run = asyncio.run(resume_from_handoff(split.handoff, source, work, settings, clock))
    elif split.until_sfm:
        run = asyncio.run(run_until_sfm(source, work, options, settings, clock))
    else:
        run = asyncio.run(run_embedded(source, work, options, settings, clock))
    end = time.monotonic()
    sampler.stop()
    seconds, host, gpu = {}, {}, {}
    since = clock.ends.get("sfm", start) if split.handoff else start
    stages = STAGES[2:] if split.handoff else STAGES[:2] if split.until_sfm else STAGES
    for stage in stages:
        until = clock.ends.get(stage, end)
        seconds[stage] = round(until - since, 1)
        peak_host, peak_gpu = sampler.peak(since, until)
        host[stage] = round(peak_host / GIB, 3)
        gpu[stage] = None if peak_gpu is None else round(peak_gpu / GIB, 3)
        since = until
        if stage not in clock.ends:
            break
    summary = summarize(run, settings.criteria)
    report = _sfm_report(run.job_dir())
    attempt = (report.get("attempts") or [{}])[-1]
    photos = (report.get("metrics") or {}).get("images_total") or (int(label) if label.isdigit() else 0)
    model = summary.artifacts.get("sparse model")
    trained = next((e for e in run.events if isinstance(e, ModelTrained)), None)
    row = {
        "scene": label,
        "preset": options.trainer.preset,
        "device": trained.data.metrics.device if trained else "n/a",
        "machine": f"{platform.node()} {os.cpu_count()} CPUs",
        "load_average": [round(v, 1) for v in (*load_before[:1], *os.getloadavg()[:1])],
        "succeeded": run.succeeded,
        "outcome": run.outcome.type,
        "photos": photos,
        "seconds": seconds | {"total": round(end - start, 1)},
        "sfm_steps_s": attempt.get("step_seconds", {}),
        "peak_host_gib": host,
        "peak_gpu_gib": gpu,
        "pairing": attempt.get("pairing"),
        "matched_pairs": attempt.get("matched_pairs"),
        "pairs_per_photo": round(2 * attempt.get("matched_pairs", 0) / photos, 1) if photos else None,
        "registered": (report.get("metrics") or {}).get("images_registered"),
        "pose": _pose(truth, model),
        "heldout_psnr": trained.data.metrics.psnr if trained else None,
        "gaussians": trained.data.metrics.gaussians if trained else None,
    }
    if split.until_sfm is not None:
        pack_handoff(run, row, source, split.until_sfm)
    return row if split.handoff is None else _joined(split.handoff, row, source)


def _joined(handoff: Handoff, row: dict[str, Any], source: Path) -> dict[str, Any]:
    """The row of a job resumed from a handoff: upload and SfM as measured where SfM ran, the rest here."""
    before = handoff.row
    for field in ("seconds", "peak_host_gib", "peak_gpu_gib"):
        row[field] = {k: v for k, v in before[field].items() if k in STAGES[:2]} | {
            k: v for k, v in row[field].items() if k in STAGES[2:]
        }
    row["seconds"]["total"] = round(sum(row["seconds"][k] for k in STAGES if k in row["seconds"]), 1)
    row["sfm_machine"] = before["machine"]
    row["load_average_sfm"] = before["load_average"]
    row["photos_differing_from_sfm"] = len(differing_photos(handoff, source))
    return row


def _sfm_report(job_dir: Path) -> dict[str, Any]:
    path = job_dir / "sfm" / "report.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _pose(truth: DemoScene, model: Path | None) -> dict[str, Any] | None:
    if model is None:
        return None
    estimated = sparse_poses(model)
    wanted = {name: pose for name, pose in truth.poses.items() if name in estimated or not name.startswith("frame_")}
    errors = pose_errors(estimated, wanted)
    return {
        "compared": errors.compared,
        "missing": len(errors.missing),
        "centre_median_pct": round(100 * errors.centre_median, 4),
        "centre_max_pct": round(100 * errors.centre_max, 4),
        "rotation_median_deg": round(errors.rotation_median_deg, 4),
        "rotation_max_deg": round(errors.rotation_max_deg, 4),
    }


def _save(row: dict[str, Any]) -> None:
    """Add or replace the row in results.json (locked: several benchmark processes may share it)."""
    with (HERE / ".results.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        key = (row["scene"], row["preset"], row["device"])
        rows = [r for r in rows if (r["scene"], r["preset"], r["device"]) != key] + [row]
        rows.sort(key=lambda r: (r["device"], r["preset"], r["scene"].startswith("video"), r["photos"] or 0))
        RESULTS.write_text(json.dumps(rows, indent=1) + "\n")


def table(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of the rows, then each stage's fitted growth past the exhaustive limit."""
    lines = [
        "| scene | preset | device | photos | pairing | pairs/photo | upload s | sfm s | trainer s | compressor s "
        "| total s | peak host GiB (sfm/trainer/compressor) | peak GPU GiB | registered | centre err % | rot err deg "
        "| held-out PSNR |",
        "|---" * 17 + "|",
    ]
    for r in rows:
        s, h, g, p = r["seconds"], r["peak_host_gib"], r["peak_gpu_gib"], r["pose"] or {}
        gpu = "/".join(f"{g.get(k) or 0:.1f}" for k in ("sfm", "trainer", "compressor")) if any(g.values()) else "-"
        lines.append(
            f"| {r['scene']} | {r['preset']} | {r['device']} | {r['photos']} | {r['pairing']} | {r['pairs_per_photo']} "
            f"| {s.get('upload', '-')} | {s.get('sfm', '-')}{'*' if r.get('sfm_machine') else ''} "
            f"| {s.get('trainer', '-')} | {s.get('compressor', '-')} "
            f"| {s['total']} | {h.get('sfm', 0):.2f}/{h.get('trainer', 0):.2f}/{h.get('compressor', 0):.2f} | {gpu} "
            f"| {r['registered']}/{r['photos']} | {p.get('centre_median_pct', '-')} "
            f"| {p.get('rotation_median_deg', '-')} "
            f"| {r['heldout_psnr'] and round(r['heldout_psnr'], 2)} |"
        )
    if any(r.get("sfm_machine") for r in rows):
        lines += ["", "\\* SfM ran on another machine (`sfm_machine`), handed over through storage (`--from-sfm`)."]
    return "\n".join(lines) + "\n\n" + fits(rows)


def fits(rows: list[dict[str, Any]]) -> str:
    """Log-log slopes of each stage's seconds and peak host memory over the photo sets (not the video)."""
    out = []
    for preset, device in sorted({(r["preset"], r["device"]) for r in rows}):
        group = [
            r
            for r in rows
            if (r["preset"], r["device"]) == (preset, device) and not r["scene"].startswith("video") and r["succeeded"]
        ]
        past = [r for r in group if r["photos"] > EXHAUSTIVE_LIMIT]
        if len(group) < 2:
            continue
        counts = [r["photos"] for r in past] if len(past) > 1 else [r["photos"] for r in group]
        bound = n_log_n_exponent(min(counts), max(counts))
        out += [
            f"Growth exponents, {preset} on {device} (log-log slope; n log n over {min(counts)}-{max(counts)} "
            f"photos is {bound:.2f}):",
            "",
            "| measure | all points | past the exhaustive limit |",
            "|---|---|---|",
        ]
        measures = [(f"{k} seconds", ("seconds", k)) for k in ("sfm", "trainer", "compressor", "total")]
        measures += [(f"sfm {k} seconds", ("sfm_steps_s", k)) for k in ("extraction", "matching", "mapping")]
        measures += [("matched pairs", ("matched_pairs", None))]
        measures += [(f"{k} peak host memory", ("peak_host_gib", k)) for k in ("sfm", "trainer", "compressor")]
        for name, (field, key) in measures:
            slopes = [growth_exponent([(r["photos"], _measure(r, field, key)) for r in sel]) for sel in (group, past)]
            out.append(f"| {name} | " + " | ".join("-" if s is None else f"{s:.2f}" for s in slopes) + " |")
        out.append("")
    return "\n".join(out)


def _measure(row: dict[str, Any], field: str, key: str | None) -> float:
    value = row[field] if key is None else (row[field] or {}).get(key)
    return float(value or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, nargs="*", default=[], help="photo counts of the courtyard walk")
    parser.add_argument("--video", action="store_true", help="also the two-minute 30 fps walk video")
    parser.add_argument("--preset", default="preview", choices=("preview", "standard", "quality"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="stage.field=value")
    parser.add_argument("--scenes", type=Path, default=Path(".work/scale-scenes"))
    parser.add_argument("--out", type=Path, default=Path(".work/scale-runs"))
    parser.add_argument("--table", action="store_true", help="print the table and fits of results.json")
    parts = parser.add_mutually_exclusive_group()
    parts.add_argument("--until-sfm", type=Path, metavar="DIR", help="run SfM alone; pack its result in DIR/<scene>")
    parts.add_argument("--from-sfm", type=Path, metavar="DIR", help="train and compress DIR/<scene>'s packed SfM")
    args = parser.parse_args()
    configure_logging("warning", "console")
    console = Console(stderr=True)
    options = JobOptions.for_preset(args.preset).with_overrides(args.overrides)
    for views in [*args.views, *([None] if args.video else [])]:
        source, truth, generated = scene_for(args.scenes, views)
        label = "video" if views is None else str(views)
        console.print(f"scene {label}: ready in {generated:.1f} s; running the pipeline at {args.preset} ...")
        work = args.out / f"{label}-{args.preset}"
        split = Split(
            until_sfm=args.until_sfm / label if args.until_sfm else None,
            handoff=Handoff(args.from_sfm / label) if args.from_sfm else None,
        )
        if split.handoff is not None and split.handoff.row["preset"] != args.preset:
            parser.error(f"{split.handoff.folder} holds a {split.handoff.row['preset']} job, not {args.preset}")
        row = run_point(label, source, truth, options, work, console, split)
        row["generated_s"] = round(generated, 1)
        if split.until_sfm is None:  # an SfM-only row lives in its handoff folder, not in results.json
            _save(row)
        console.print(json.dumps(row))
    if args.table:
        print(table(json.loads(RESULTS.read_text())))


if __name__ == "__main__":
    main()
