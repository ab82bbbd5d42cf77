"""Held-out scoring of an exported model: the same PSNR as the trainer's own final evaluation."""

import shutil
from pathlib import Path

import pytest

from spaceport.params.trainer import TrainParams
from spaceport_splats.colmap import ColmapError
from spaceport_splats.export import read_ply
from spaceport_splats.scoring import heldout_names, heldout_scorer
from spaceport_trainer.train import train

pytestmark = pytest.mark.unit

TOLERANCE_DB = 0.01  # float32 round trip of the positions through the world frame

PARAMS = TrainParams(
    preset="preview",
    steps=40,
    data_factor=1,
    max_image_side=48,
    sh_degree=1,
    sh_degree_interval=20,
    max_gaussians=2000,
    checkpoint_every=10_000,
    log_every=20,
    preview_views=0,
    seed=1,
)


def heldout_only(scene: Path, params: TrainParams, folder: Path) -> Path:
    """A copy of the scene's held-out photos alone."""
    folder.mkdir(parents=True)
    for name in heldout_names(scene / "sparse" / "0", params):
        shutil.copy(scene / "images" / name, folder / name)
    return folder


def test_heldout_names_follow_the_trainer_split(synthetic_scene: Path) -> None:
    """Every 8th registered image by name, from the first, is held out (and only those are needed)."""
    assert heldout_names(synthetic_scene / "sparse" / "0", PARAMS) == ["0000.png", "0008.png"]


def test_scorer_matches_the_trainers_final_evaluation(synthetic_scene: Path, tmp_path: Path) -> None:
    """A 40-step CPU model scored from its `.ply` (world frame, held-out photos only) gives the trainer's PSNR."""
    report = train(synthetic_scene, tmp_path / "out", PARAMS)
    images = heldout_only(synthetic_scene, PARAMS, tmp_path / "heldout")
    scorer = heldout_scorer(synthetic_scene / "sparse" / "0", images, PARAMS, tmp_path / "work")
    assert [v.name for v in scorer.views] == ["0000.png", "0008.png"]
    assert (scorer.views[0].camera.width, scorer.views[0].camera.height) == (48, 36)
    assert report.final is not None and report.final.psnr is not None
    assert scorer(read_ply(Path(report.model_path))) == pytest.approx(report.final.psnr, abs=TOLERANCE_DB)


def test_undistorted_scorer_matches_too(
    synthetic_scene: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """With camera='undistort', the held-out photos alone are undistorted and score as in training."""
    params = PARAMS.model_copy(update={"steps": 10, "camera": "undistort", "sh_degree": 0})
    report = train(synthetic_scene, tmp_path / "out", params)
    images = heldout_only(synthetic_scene, params, tmp_path / "heldout")
    scorer = heldout_scorer(synthetic_scene / "sparse" / "0", images, params, tmp_path / "work")
    assert report.lens_handling == "undistorted" and not scorer.views[0].camera.lens.distorted
    undistorted = sorted(p.name for p in (tmp_path / "work" / "undistorted" / "images").iterdir())
    assert undistorted == ["0000.png", "0008.png"]
    assert "Cannot read image" not in capfd.readouterr().err  # COLMAP was asked for those two only
    assert report.final is not None and report.final.psnr is not None
    assert scorer(read_ply(Path(report.model_path))) == pytest.approx(report.final.psnr, abs=TOLERANCE_DB)


def test_scorer_follows_what_the_trainer_did(synthetic_scene: Path, tmp_path: Path) -> None:
    """A model the trainer undistorted (as `auto` does on a GPU host) is scored undistorted on a CPU host too."""
    params = PARAMS.model_copy(update={"steps": 10, "camera": "undistort", "sh_degree": 0})
    report = train(synthetic_scene, tmp_path / "out", params)
    assert report.metrics().undistorted
    images = heldout_only(synthetic_scene, params, tmp_path / "heldout")
    auto = params.model_copy(update={"camera": "auto"})  # on this CPU host `auto` alone would not undistort
    scorer = heldout_scorer(synthetic_scene / "sparse" / "0", images, auto, tmp_path / "work", undistorted=True)
    assert not scorer.views[0].camera.lens.distorted
    assert report.final is not None and report.final.psnr is not None
    assert scorer(read_ply(Path(report.model_path))) == pytest.approx(report.final.psnr, abs=TOLERANCE_DB)


def test_missing_heldout_photo_is_an_error(synthetic_scene: Path, tmp_path: Path) -> None:
    """Without every held-out photo no scorer is built: the error names how many are missing."""
    images = heldout_only(synthetic_scene, PARAMS, tmp_path / "heldout")
    (images / "0008.png").unlink()
    with pytest.raises(ColmapError, match="1/2 held-out photos missing"):
        heldout_scorer(synthetic_scene / "sparse" / "0", images, PARAMS, tmp_path / "work")
