"""One quality measurement: a scene through the whole embedded pipeline (`spaceport run`), then its figures.

`run_scene` generates a demo capture or takes a real photo set, runs SfM, training and compression in this
process, and returns a `SceneResult`: held-out PSNR/SSIM (our protocol), pose error where a ground truth
exists (the demo's own, fox's `transforms.json`), the pipeline's seconds, and for every held-out view the
offset between its render and its photo (`measure_offset`, at the training size): a view drawn from the
wrong camera shows there as a shift or a scale, whatever its PSNR. Used by `benchmarks/quality/run.py` and by
the GPU regression suite (`tests/gpu/test_scenes.py`).
"""

import asyncio
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import torch

from spaceport.events import ModelTrained, SfmCompleted
from spaceport.params import JobOptions
from spaceport.settings import Settings
from spaceport_app.demo import CAPTURES, generate_scene, pose_errors
from spaceport_app.embedded import run_embedded
from spaceport_app.embedded.summary import summarize

if TYPE_CHECKING:
    from spaceport_splats.scoring import HeldoutScorer

REAL_SCENES = ("fox", "sceaux_castle")


@dataclass(frozen=True)
class ViewOffset:
    """One held-out view: its PSNR and how far its render sits from its photo."""

    name: str
    psnr: float
    dx: float
    dy: float
    scale: float
    correlation: float
    edge_px: float  # the largest displacement the fit implies in the image


@dataclass(frozen=True)
class SceneResult:
    """The figures of one scene at one preset on one device (one record of `results.json`)."""

    scene: str
    preset: str
    device: str
    psnr: float | None
    ssim: float | None
    seconds: float
    stage_seconds: dict[str, float]
    registered: str
    gaussians: int | None
    pose_rotation_median_deg: float | None = None
    pose_centre_median: float | None = None
    criteria_failed: list[str] = field(default_factory=list)
    views: list[ViewOffset] = field(default_factory=list)
    job_dir: str = ""
    psnr_colour_fit: float | None = None
    """Held-out PSNR after a per-view affine colour fit (spaceport_splats.colour_fit); None before it existed."""

    def record(self) -> dict[str, object]:
        """The JSON record (results.json's fields first)."""
        return asdict(self)


def photos_of(scene: str, work: Path, datasets: Path) -> tuple[Path, object | None]:
    """The photo folder of `scene` and its ground truth (a DemoScene, fox's transforms.json path, or None).

    Demo captures are named `demo-<capture>` (`CAPTURES`); real sets by their folder under `datasets`."""
    if scene.startswith("demo-"):
        demo = generate_scene(work / "scene", capture=CAPTURES[scene.removeprefix("demo-")])
        return demo.images_dir, demo
    transforms = datasets / scene / "transforms.json"
    return datasets / scene / "images", transforms if transforms.is_file() else None


def _pose_figures(truth: object | None, sparse_dir: Path) -> tuple[float | None, float | None]:
    """(median rotation error in degrees, median centre error as a share of the scene scale), or Nones."""
    if truth is None:
        return None, None
    from spaceport_sfm.evaluation import compare_poses, load_sparse_model, load_transforms_json
    from spaceport_splats.colmap import find_model_dir

    sparse_dir = find_model_dir(sparse_dir)
    if isinstance(truth, Path):
        accuracy = compare_poses(load_sparse_model(sparse_dir), load_transforms_json(truth))
        return accuracy.median_rotation_error_deg, accuracy.median_centre_error
    from spaceport_app.cli.demo import sparse_poses

    errors = pose_errors(sparse_poses(sparse_dir), truth)  # type: ignore[arg-type]
    return errors.rotation_median_deg, errors.centre_median


def local_path(uri: str) -> Path:
    """The file or folder of a `file://` URI."""
    return Path(unquote(urlparse(uri).path))


def scorer_of(trained: ModelTrained, work: Path, device: str | None = None) -> "HeldoutScorer":
    """The trainer's held-out scorer for a finished embedded job, with training's recorded cameras."""
    from spaceport_splats.scoring import heldout_scorer
    from spaceport_trainer.report import TrainReport

    report = TrainReport.model_validate_json(local_path(trained.data.report_uri).read_text())
    params = trained.data.options.trainer
    params = params if device is None else params.model_copy(update={"device": device})
    return heldout_scorer(
        local_path(trained.data.sparse_uri),
        local_path(trained.data.images_uri),
        params,
        work,
        undistorted=trained.data.metrics.undistorted,
        trained=report.heldout_cameras,
    )


def heldout_offsets(trained: ModelTrained, work: Path) -> list[ViewOffset]:
    """Render the trained model on its held-out views (the trainer's recorded cameras) and measure each."""
    from spaceport_splats.alignment import measure_offset
    from spaceport_splats.export import read_ply, to_splats
    from spaceport_splats.render import render
    from spaceport_splats.ssim import psnr

    scorer = scorer_of(trained, work)
    splats = to_splats(scorer.normalised(read_ply(local_path(trained.data.ply_uri))), scorer.device)
    offsets = []
    with torch.no_grad():
        for view in scorer.views:
            image = render(splats, view.camera, scorer.sh_degree).image.clamp(0.0, 1.0)
            offset = measure_offset(view.target(), image)
            offsets.append(
                ViewOffset(
                    view.name,
                    float(psnr(image, view.target())),
                    offset.dx,
                    offset.dy,
                    offset.scale,
                    offset.correlation,
                    offset.edge_pixels(view.camera.width, view.camera.height),
                )
            )
    return offsets


def run_scene(
    scene: str, preset: str, work: Path, datasets: Path, overrides: tuple[str, ...] = ()
) -> tuple[SceneResult, ModelTrained | None]:
    """`spaceport run` on `scene` at `preset` under `work`, measured (see the module docstring); with the job's
    ModelTrained event (None when training did not finish)."""
    photos, truth = photos_of(scene, work, datasets)
    options = JobOptions.for_preset(preset).with_overrides(list(overrides))  # type: ignore[arg-type]
    settings = Settings(work_dir=work / "work")
    run = asyncio.run(run_embedded(photos, work / "out", options, settings))
    summary = summarize(run, settings.criteria)
    trained = next((e for e in run.events if isinstance(e, ModelTrained)), None)
    sfm = next((e for e in run.events if isinstance(e, SfmCompleted)), None)
    rotation, centre = _pose_figures(truth, local_path(sfm.data.sparse_uri)) if sfm else (None, None)
    metrics = trained.data.metrics if trained else None
    result = SceneResult(
        scene=scene,
        preset=preset,
        device=metrics.device if metrics else "n/a",
        psnr=metrics.psnr if metrics else None,
        ssim=metrics.ssim if metrics else None,
        psnr_colour_fit=metrics.psnr_colour_fit if metrics else None,
        seconds=round(run.seconds, 1),
        stage_seconds={k: round(v, 1) for k, v in summary.stage_seconds.items()},
        registered=summary.figures.get("registered images", "n/a"),
        gaussians=metrics.gaussians if metrics else None,
        pose_rotation_median_deg=rotation,
        pose_centre_median=centre,
        criteria_failed=[c.name for c in summary.criteria if c.outcome == "fail"],
        views=heldout_offsets(trained, work / "heldout") if trained else [],
        job_dir=str(run.job_dir()),
    )
    return result, trained


def append_record(path: Path, result: SceneResult) -> None:
    """Add `result` to the JSON-lines file at `path`."""
    with path.open("a") as f:
        f.write(json.dumps(result.record()) + "\n")
