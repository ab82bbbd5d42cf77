"""The end of an embedded run: the job's record against the criteria, its artifacts, a 3D viewer page."""

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from spaceport.criteria import CriterionResult, Thresholds
from spaceport.events import Compressed, ModelTrained, SfmCompleted, SfmRejected, StageFailed
from spaceport.jobs.record import StageMemory
from spaceport_app.cli.notes import sfm_notes
from spaceport_app.embedded.pipeline import EmbeddedRun
from spaceport_app.embedded.viewer import viewer_page

FITTED = "held-out PSNR, colour-fitted"
"""The figure naming the held-out PSNR after a per-view exposure and white-balance fit."""


@dataclass(frozen=True)
class Summary:
    """What `spaceport run` prints and writes."""

    criteria: tuple[CriterionResult, ...]
    stage_seconds: dict[str, float]
    artifacts: dict[str, Path]
    figures: dict[str, str]
    reason: str | None
    notes: tuple[str, ...] = ()
    """SfM's hints about the photos and the files it skipped (`spaceport_app.cli.notes`)."""
    stage_memory: dict[str, StageMemory] = field(default_factory=dict)
    """Each stage's peak host (RSS) and GPU memory."""


def _path(uri: str | None) -> Path | None:
    if not uri or urlparse(uri).scheme != "file":
        return None
    return Path(unquote(urlparse(uri).path))


def _artifacts(run: EmbeddedRun) -> dict[str, Path]:
    found: dict[str, str | None] = {}
    for event in run.events:
        if isinstance(event, SfmCompleted):
            found |= {"sparse model": event.data.sparse_uri, "sfm report": event.data.report_uri}
        elif isinstance(event, SfmRejected):
            found |= {"sfm report": event.data.report_uri}
        elif isinstance(event, ModelTrained):
            found |= {"model (.ply)": event.data.ply_uri, "training report": event.data.report_uri}
        elif isinstance(event, Compressed):
            found |= {
                "SOG meta.json": event.data.meta_uri,
                "SOG bundle (.sog)": event.data.sog_uri,
                "streamed SOG (lod-meta.json)": event.data.lod_uri,
                "compression report": event.data.report_uri,
            }
            found |= {f"{e.format.upper()} (.{e.format})": e.uri for e in event.data.exports}
    paths = {name: path for name, uri in found.items() if (path := _path(uri)) is not None}
    if (meta := paths.pop("SOG meta.json", None)) is not None:
        paths["SOG folder"] = meta.parent
    return paths


def _figures(run: EmbeddedRun) -> dict[str, str]:
    figures: dict[str, str] = {}
    for event in run.events:
        if isinstance(event, SfmCompleted | SfmRejected) and event.data.metrics is not None:
            m = event.data.metrics
            figures |= {
                "registered images": f"{m.images_registered}/{m.images_total}",
                "3D points": str(m.points3d),
                "reprojection error": f"{m.mean_reprojection_error_px:.2f} px",
            }
        elif isinstance(event, ModelTrained):
            t = event.data.metrics
            figures |= {
                "Gaussians": f"{t.gaussians:,}",
                "held-out PSNR": f"{t.psnr:.2f} dB" if t.psnr else "n/a",
                FITTED: f"{t.psnr_colour_fit:.2f} dB" if t.psnr_colour_fit else "n/a",
                "held-out SSIM": f"{t.ssim:.4f}" if t.ssim else "n/a",
                "device": t.device,
            }
        elif isinstance(event, Compressed):
            c = event.data.metrics
            figures |= {
                ".ply size": f"{c.ply_bytes / 1e6:.2f} MB",
                ".sog size": f"{c.sog_bytes / 1e6:.2f} MB",
                "compression": f"{c.ratio:.1f}x",
            }
    return figures


def summarize(run: EmbeddedRun, thresholds: Thresholds) -> Summary:
    """Evaluate the finished job against the success criteria (the monitor's fold, one source of truth)."""
    from spaceport.jobs.fold import fold

    record = fold(run.job_id, run.events, thresholds)
    seconds: dict[str, float] = {s: r.duration_s for s, r in record.stages.items() if r.duration_s is not None}
    if record.duration_s is not None:
        seconds["pipeline"] = record.duration_s
    reason = None
    if isinstance(run.outcome, SfmRejected):
        reason = f"sfm rejected the photos ({run.outcome.data.reason}): {run.outcome.data.message}"
        reason += "".join(f"\n  hint: {hint}" for hint in run.outcome.data.hints)
    elif isinstance(run.outcome, StageFailed):
        reason = f"{run.outcome.data.stage} failed ({run.outcome.data.reason}): {run.outcome.data.message}"
    notes = tuple(sfm_notes(run.events))
    memory: dict[str, StageMemory] = {str(stage): m for stage, m in record.stage_memory().items()}
    return Summary(tuple(record.criteria.values()), seconds, _artifacts(run), _figures(run), reason, notes, memory)


def write_outputs(run: EmbeddedRun, summary: Summary) -> dict[str, Path]:
    """Write `report.json` and, for a finished splat, `viewer.html` (served with the engine by `spaceport view`)."""
    job_dir = run.job_dir()
    report = job_dir / "report.json"
    report.write_text(
        json.dumps(
            {
                "job_id": run.job_id,
                "outcome": run.outcome.type,
                "seconds": round(run.seconds, 2),
                "reason": summary.reason,
                "stage_seconds": summary.stage_seconds,
                "stage_memory": {stage: m.model_dump() for stage, m in summary.stage_memory.items()},
                "figures": summary.figures,
                "criteria": [c.model_dump() for c in summary.criteria],
                "notes": list(summary.notes),
                "artifacts": {name: str(path) for name, path in summary.artifacts.items()},
            },
            indent=2,
        )
    )
    written = {"report": report}
    bundle = summary.artifacts.get("streamed SOG (lod-meta.json)") or summary.artifacts.get("SOG bundle (.sog)")
    if bundle is not None:
        relative = bundle.relative_to(job_dir).as_posix()
        (job_dir / "viewer.html").write_text(
            viewer_page(relative, summary.artifacts.get("model (.ply)"), summary.artifacts.get("sparse model"))
        )
        written["3D viewer"] = job_dir / "viewer.html"
    return written
