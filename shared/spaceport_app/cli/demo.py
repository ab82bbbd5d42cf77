"""`spaceport demo`: generate the built-in sample scene, run the pipeline on it, report pose error and PSNR."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import typer
from rich.console import Console

from spaceport.logging import configure_logging
from spaceport.params import JobOptions
from spaceport_app.cli.exit_codes import ExitCode
from spaceport_app.cli.run import run_job
from spaceport_app.demo.capture import CAPTURES
from spaceport_app.demo.poses import PoseErrors, pose_errors
from spaceport_app.demo.scene import DemoScene, generate_scene
from spaceport_app.embedded.summary import FITTED

if TYPE_CHECKING:
    import pycolmap

Preset = Literal["preview", "standard", "quality"]


def sparse_poses(model_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """cam_from_world (R, t) of every registered image of a COLMAP model, by image name."""
    import pycolmap

    return reconstruction_poses(pycolmap.Reconstruction(str(model_dir)))


def reconstruction_poses(reconstruction: "pycolmap.Reconstruction") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """cam_from_world (R, t) of every registered image of a loaded COLMAP reconstruction, by image name."""
    poses = {}
    for image in reconstruction.images.values():
        if image.has_pose:
            pose = image.cam_from_world()
            poses[image.name] = (np.asarray(pose.rotation.matrix()), np.asarray(pose.translation))
    return poses


def evaluate_poses(scene: DemoScene, model_dir: Path | None) -> PoseErrors | None:
    """Pose error of the reconstruction against the scene's ground truth (None without a model)."""
    if model_dir is None or not model_dir.is_dir():
        return None
    return pose_errors(sparse_poses(model_dir), scene)


def demo(
    out: Path = typer.Option(Path("spaceport-demo"), help="output folder"),
    views: int = typer.Option(24, min=3, help="photos to render on the orbit"),
    seed: int = typer.Option(0, help="scene seed (same seed, same photos)"),
    capture: str = typer.Option("landscape", help=f"how the scene is photographed: {', '.join(CAPTURES)}"),
    preset: Preset = typer.Option("preview", help="pipeline preset"),
    overrides: list[str] = typer.Option([], "--set", help="override a job parameter: stage.field=value (repeatable)"),
) -> None:
    """Render a procedural sample scene with known cameras and run the whole pipeline on it."""
    configure_logging("warning", "console")
    console = Console(stderr=True)
    out = out.resolve()
    try:
        options = JobOptions.for_preset(preset).with_overrides(overrides)
        if capture not in CAPTURES:
            raise ValueError(f"unknown capture {capture!r}; one of {', '.join(CAPTURES)}")
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    console.print(f"rendering {views} views of the sample scene (seed {seed}, capture {capture}) ...")
    scene = generate_scene(out / "scene", views=views, seed=seed, capture=CAPTURES[capture])
    code, summary = run_job(scene.images_dir, out / "runs", options, console)
    errors = evaluate_poses(scene, summary.artifacts.get("sparse model"))
    if errors is not None:
        console.print(f"pose error vs ground truth: {errors.summary()}")
    console.print(f"held-out PSNR: {summary.figures.get('held-out PSNR', 'n/a')}")
    console.print(f"held-out PSNR, colour-fitted: {summary.figures.get(FITTED, 'n/a')}")
    report = {
        "pose_error": None
        if errors is None
        else {
            "compared": errors.compared,
            "missing": list(errors.missing),
            "centre_median": errors.centre_median,
            "centre_max": errors.centre_max,
            "rotation_median_deg": errors.rotation_median_deg,
            "rotation_max_deg": errors.rotation_max_deg,
        },
        "heldout_psnr": summary.figures.get("held-out PSNR"),
        "heldout_psnr_colour_fit": summary.figures.get(FITTED),
        "scene": str(scene.root),
    }
    (out / "demo-report.json").write_text(json.dumps(report, indent=2))
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(demo)
