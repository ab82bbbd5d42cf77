"""Photos agree with their cameras before training, and held-out scores use exactly training's cameras."""

import shutil
from pathlib import Path

import pytest
from PIL import Image

from spaceport_splats.consistency import CameraMismatch
from spaceport_splats.scoring import heldout_scorer
from spaceport_trainer.train import train
from tests.unit.trainer.test_scoring import PARAMS

pytestmark = pytest.mark.unit


def _copy(scene: Path, to: Path) -> Path:
    shutil.copytree(scene, to)
    return to


def test_a_turned_photo_is_refused_naming_it(synthetic_scene: Path, tmp_path: Path) -> None:
    """A photo stored turned (its size swapped against its camera) stops training with an error naming it."""
    scene = _copy(synthetic_scene, tmp_path / "scene")
    photo = scene / "images" / "0003.png"
    with Image.open(photo) as im:
        im.transpose(Image.Transpose.ROTATE_90).save(photo)
    with pytest.raises(CameraMismatch, match=r"photo 0003\.png is 48x64 px but its camera .* is 64x48 px \(turned"):
        train(scene, tmp_path / "out", PARAMS)


def test_a_principal_point_outside_the_image_is_refused(synthetic_scene: Path, tmp_path: Path) -> None:
    """A camera whose principal point lies outside its image stops training with an error naming a photo."""
    scene = _copy(synthetic_scene, tmp_path / "scene")
    cameras = scene / "sparse" / "0" / "cameras.txt"
    fields = cameras.read_text().split()
    fields[5] = "70.0"  # cx of a 64-pixel-wide camera
    cameras.write_text(" ".join(fields) + "\n")
    with pytest.raises(CameraMismatch, match=r"photo 0000\.png: principal point \(70\.0, 24\.0\) lies outside"):
        train(scene, tmp_path / "out", PARAMS)


def test_scorer_refuses_cameras_other_than_trainings(synthetic_scene: Path, tmp_path: Path) -> None:
    """Scoring a model with a sparse model whose focal length changed after training names the held-out photo."""
    report = train(synthetic_scene, tmp_path / "out", PARAMS.model_copy(update={"steps": 5}))
    assert [v.name for v in report.heldout_cameras] == ["0000.png", "0008.png"]
    same = heldout_scorer(
        synthetic_scene / "sparse" / "0",
        synthetic_scene / "images",
        PARAMS,
        tmp_path / "w1",
        trained=report.heldout_cameras,
    )
    assert [v.name for v in same.views] == ["0000.png", "0008.png"]
    scene = _copy(synthetic_scene, tmp_path / "scene")
    cameras = scene / "sparse" / "0" / "cameras.txt"
    fields = cameras.read_text().split()
    fields[4] = str(float(fields[4]) * 1.02)  # f
    cameras.write_text(" ".join(fields) + "\n")
    with pytest.raises(CameraMismatch, match=r"held-out photo 0000\.png: the scorer's camera differs .*fx"):
        heldout_scorer(
            scene / "sparse" / "0", scene / "images", PARAMS, tmp_path / "w2", trained=report.heldout_cameras
        )
