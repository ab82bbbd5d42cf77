"""CPU training on the synthetic scene: held-out PSNR rises by a stated margin; the report is complete."""

import json
from pathlib import Path

import pytest

from spaceport.params.trainer import TrainParams
from spaceport_splats.export import read_ply
from spaceport_trainer.train import TrainHooks, TrainProgress, train
from tests.unit.trainer.synthetic import short_cpu_run

pytestmark = pytest.mark.unit

MARGIN_DB = 4.0  # held-out PSNR gain required between step 1 and step 300


def test_few_hundred_cpu_steps_raise_heldout_psnr(synthetic_scene: Path, tmp_path: Path) -> None:
    """300 CPU steps (MCMC, SH degree 1) raise held-out PSNR by at least 4 dB and write a loadable model."""
    params = short_cpu_run()
    report = train(synthetic_scene, tmp_path / "out", params)
    first, last = report.evaluations[0], report.evaluations[-1]
    assert (first.step, last.step) == (1, 300)
    assert last.psnr is not None and first.psnr is not None
    assert last.psnr - first.psnr >= MARGIN_DB, (first.psnr, last.psnr)
    assert last.ssim is not None and first.ssim is not None and last.ssim > first.ssim
    assert report.steps == 300 and report.heldout_views == 2 and report.train_views == 10
    assert report.renderer == "torch-tiles-linearised-lens"
    assert 1200 < report.gaussians <= 3000
    assert len(read_ply(Path(report.model_path))) == report.gaussians
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    assert saved["evaluations"][-1]["psnr"] == pytest.approx(last.psnr)
    assert len(report.previews) == 1 and Path(report.previews[0]).is_file()


def test_undistortion_fallback_trains_on_pinhole_photos(synthetic_scene: Path, tmp_path: Path) -> None:
    """With camera='undistort' the photos are undistorted by COLMAP first and trained as PINHOLE."""
    params = TrainParams(
        preset="preview",
        steps=5,
        data_factor=1,
        sh_degree=0,
        camera="undistort",
        checkpoint_every=10_000,
        preview_views=0,
    )
    report = train(synthetic_scene, tmp_path / "fresh" / "out", params)
    assert report.lens_handling == "undistorted"
    assert report.camera_models == ["PINHOLE"] and report.renderer == "torch-tiles"
    assert report.steps == 5 and report.final is not None and report.final.psnr is not None


def test_progress_reports_fraction_and_eta(synthetic_scene: Path, tmp_path: Path) -> None:
    """Progress arrives every few steps with a rising fraction, a positive ETA, and loss on logging steps."""
    seen: list[TrainProgress] = []
    params = TrainParams(
        preset="preview", steps=20, data_factor=1, sh_degree=0, log_every=10, checkpoint_every=10_000, preview_views=0
    )
    train(synthetic_scene, tmp_path / "out", params, hooks=TrainHooks(on_progress=seen.append, progress_every=5))
    assert [p.step for p in seen] == [5, 10, 15, 20]
    assert all(p.eta_seconds is not None and p.eta_seconds > 0 for p in seen[:-1])
    assert seen[-1].fraction == 1.0 and seen[-1].eta_seconds == 0
    assert seen[1].loss is not None and seen[1].gaussians == 1200 and seen[0].loss is None


@pytest.mark.parametrize(("seconds", "stored"), [(0.0, [10, 20, 30]), (1e9, [])])
def test_checkpoints_wait_for_their_seconds(
    synthetic_scene: Path, tmp_path: Path, seconds: float, stored: list[int]
) -> None:
    """A checkpoint is written at a multiple of `checkpoint_every` only once `checkpoint_seconds` of training have
    passed since the last one: every time at 0, never in a short run when the interval is longer than the run."""
    params = TrainParams(
        preset="preview",
        steps=40,
        data_factor=1,
        sh_degree=0,
        checkpoint_every=10,
        checkpoint_seconds=seconds,
        preview_views=0,
    )
    steps: list[int] = []
    train(synthetic_scene, tmp_path / "out", params, hooks=TrainHooks(on_checkpoint=lambda _, step: steps.append(step)))
    assert steps == stored
