"""`spaceport export MODEL --format spz|glb|sog|ply`: models found in job folders, files written, refusals."""

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from spaceport.params import JobOptions
from spaceport_app.cli.main import app
from spaceport_compressor.decoder import read_sog
from spaceport_compressor.gltf import read_glb
from spaceport_compressor.ply import read_ply, write_ply
from spaceport_compressor.quantize import encode_opacity
from spaceport_compressor.spz import read_spz
from spaceport_compressor.synthetic import synthetic_splats

pytestmark = pytest.mark.unit
runner = CliRunner()


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """A job folder as `spaceport run` leaves it: the trained model at trainer/model.ply."""
    folder = tmp_path / "runs" / "jobs" / "job-1"
    write_ply(folder / "trainer" / "model.ply", synthetic_splats(800, 2, seed=41))
    return folder


@pytest.mark.parametrize("fmt", ["spz", "glb", "sog", "ply"])
def test_a_job_folder_exports_each_format(job: Path, fmt: str) -> None:
    """The job's model becomes <job>/model.<format>, readable as that format, with every splat (SOG: visible)."""
    result = runner.invoke(app, ["export", str(job), "--format", fmt])
    assert result.exit_code == 0, result.output
    target = job / f"model.{fmt}"
    assert str(target) in result.output and target.stat().st_mode & 0o044 == 0o044  # readable by a web server
    counts = {
        "spz": lambda p: read_spz(p.read_bytes())[0].count,
        "glb": lambda p: read_glb(p.read_bytes()).count,
        "sog": lambda p: read_sog(p).count,
        "ply": lambda p: read_ply(p).splats.count,
    }
    source = read_ply(job / "trainer" / "model.ply").splats
    visible = int((encode_opacity(source.opacity) > 0).sum())
    assert visible < 800 and counts[fmt](target) == (visible if fmt == "sog" else 800)


def test_the_search_reaches_into_a_run_folder(job: Path, tmp_path: Path) -> None:
    """A `spaceport run --out` folder holding one job is enough; --out names the file; SPZ 2 is selectable."""
    target = tmp_path / "web" / "scene.spz"
    result = runner.invoke(app, ["export", str(tmp_path), "-f", "spz", "--spz-version", "2", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert read_spz(target.read_bytes())[0].version == 2


def test_spz_axes_ply_keeps_the_numbers(job: Path, tmp_path: Path) -> None:
    """--spz-axes ply stores the .ply's axes (positions not negated) and reads such a file back unturned."""
    source = read_ply(job / "trainer" / "model.ply").splats
    assert runner.invoke(app, ["export", str(job), "-f", "spz", "--spz-axes", "ply"]).exit_code == 0
    raw = read_spz((job / "model.spz").read_bytes(), axes="ply")[1]
    assert np.abs(raw.means - source.means).max() <= 0.5 / 4096 + 1e-5
    back = tmp_path / "back.glb"
    assert (
        runner.invoke(
            app, ["export", str(job / "model.spz"), "-f", "glb", "--spz-axes", "ply", "-o", str(back)]
        ).exit_code
        == 0
    )
    assert np.abs(read_glb(back.read_bytes()).means - source.means).max() <= 0.5 / 4096 + 1e-5


def test_an_export_converts_back(job: Path, tmp_path: Path) -> None:
    """A .glb given as MODEL converts to a .ply holding the same splats."""
    runner.invoke(app, ["export", str(job), "-f", "glb"])
    result = runner.invoke(app, ["export", str(job / "model.glb"), "-f", "ply", "-o", str(tmp_path / "back.ply")])
    assert result.exit_code == 0, result.output
    back, source = read_ply(tmp_path / "back.ply").splats, read_ply(job / "trainer" / "model.ply").splats
    assert np.array_equal(back.means, source.means) and np.array_equal(back.sh_rest, source.sh_rest)


@pytest.mark.parametrize("case", ["missing", "empty_folder", "two_jobs", "same_file", "not_a_model", "bad_spz"])
def test_bad_models_exit_2_with_a_reason(case: str, job: Path, tmp_path: Path) -> None:
    """A missing path, a folder without or with two models, the input as output, a foreign or broken file: status 2."""
    args = {
        "missing": [str(tmp_path / "nothing"), "-f", "spz"],
        "empty_folder": [str(job / "trainer" / "none"), "-f", "spz"],
        "two_jobs": [str(tmp_path), "-f", "spz"],
        "same_file": [str(job / "trainer" / "model.ply"), "-f", "ply", "-o", str(job / "trainer" / "model.ply")],
        "not_a_model": [str(tmp_path / "notes.txt"), "-f", "spz"],
        "bad_spz": [str(tmp_path / "bad.spz"), "-f", "glb"],
    }[case]
    (job / "trainer" / "none").mkdir()
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "bad.spz").write_bytes(b"not gzip")
    if case == "two_jobs":
        write_ply(tmp_path / "runs" / "jobs" / "job-2" / "trainer" / "model.ply", synthetic_splats(10, 0, seed=42))
    result = runner.invoke(app, ["export", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error:")


def test_formats_can_be_asked_for_with_set() -> None:
    """`--set compressor.formats=["spz","glb"]` reaches the compressor's parameters."""
    options = JobOptions.for_preset("preview").with_overrides(['compressor.formats=["spz","glb"]'])
    assert options.compressor.formats == ("spz", "glb")
