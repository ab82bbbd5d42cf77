"""`spaceport export MODEL --format spz|glb|sog|ply`: a trained model (or a job's) as another web format."""

import time
from pathlib import Path
from typing import Literal

import typer

from spaceport_app.cli.exit_codes import ExitCode
from spaceport_compressor.exports import READABLE, convert_model
from spaceport_compressor.splats import InvalidSplats
from spaceport_compressor.spz import SpzAxes

Format = Literal["spz", "glb", "sog", "ply"]
JOB_MODEL = Path("trainer") / "model.ply"
"""Where a job folder (`spaceport run`'s `runs/jobs/<job>`, or a storage copy of `jobs/<job>`) keeps its model."""


AXES_HELP = "SPZ axes: rub (the specification's, upright in Y-up viewers) or ply (the .ply's, as SuperSplat expects)"
MODEL_HELP = f"a model file ({', '.join(READABLE)}) or a job folder"


class ModelNotFound(Exception):
    """MODEL names neither a model file nor a folder holding exactly one trained model."""


def find_model(path: Path) -> Path:
    """MODEL itself when it is a file; in a folder, its job's trained `.ply` (searched below when not at the top)."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise ModelNotFound(f"{path} does not exist")
    if (path / JOB_MODEL).is_file():
        return path / JOB_MODEL
    found = sorted(path.glob(f"**/{JOB_MODEL.as_posix()}"))
    if len(found) == 1:
        return found[0]
    if found:
        jobs = ", ".join(str(p.parent.parent) for p in found[:3])
        raise ModelNotFound(f"{path} holds {len(found)} trained models ({jobs}...): name one job folder")
    raise ModelNotFound(f"no trained model ({JOB_MODEL}) in {path}")


def default_target(model_arg: Path, model: Path, fmt: Format) -> Path:
    """Beside the input: `<folder>/<stem>.<format>`, the folder being MODEL itself when it is a job folder."""
    folder = model_arg if model_arg.is_dir() else model.parent
    return folder / f"{model.stem}.{fmt}"


def export(
    model_arg: Path = typer.Argument(..., metavar="MODEL", help=MODEL_HELP),
    fmt: Format = typer.Option(..., "--format", "-f", help="spz, glb (glTF with KHR_gaussian_splatting), sog or ply"),
    out: Path | None = typer.Option(None, "--out", "-o", help="output file (default: beside the model)"),
    spz_version: int = typer.Option(3, "--spz-version", min=2, max=3, help="SPZ version to write (2 or 3)"),
    spz_axes: SpzAxes = typer.Option("rub", "--spz-axes", help=AXES_HELP),
) -> None:
    """Write MODEL as another format: SPZ, glTF binary, a SOG bundle or a 3DGS PLY."""
    try:
        model = find_model(model_arg)
    except ModelNotFound as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    target = out or default_target(model_arg, model, fmt)
    started = time.perf_counter()
    try:
        size = convert_model(model, fmt, target, spz_version=spz_version, spz_axes=spz_axes)
    except InvalidSplats as exc:
        typer.echo(f"error: {model}: {exc.message} ({exc.reason})", err=True)
        raise typer.Exit(ExitCode.USAGE) from exc
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(ExitCode.FAILED) from exc
    seconds = time.perf_counter() - started
    typer.echo(f"{target} ({size / 1e6:.2f} MB, {fmt}, from {model}, {seconds:.1f} s)")


def register(app: typer.Typer) -> None:
    """Add the command to the app."""
    app.command()(export)
