"""Colour agreement along SfM's tracks (`spaceport_splats.photometry`), which settles `appearance=auto` before
training: photos of one exposure agree, the same photos with known per-photo gains do not, and the gains come
back. One SfM run of the demo capture (16 views of 400x300) serves both: the jittered copies keep its geometry.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spaceport.params.trainer import TrainParams
from spaceport_app.demo import ColourJitter
from spaceport_splats.photometry import colour_agreement
from tests.support.camera_truth import DemoReconstruction, demo_reconstruction

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> DemoReconstruction:
    """The landscape demo capture, 16 views of 400x300, reconstructed by SfM's fast profile."""
    return demo_reconstruction(tmp_path_factory.mktemp("plain"), "landscape", views=16, scale=0.625)


def _jittered_copy(plain: DemoReconstruction, out: Path) -> dict[str, np.ndarray]:
    """The photos scaled per channel by ColourJitter's gains (clipped like a camera); returns the gains."""
    gains = ColourJitter().gains(len(plain.scene.poses), np.random.default_rng(7))
    shutil.copytree(plain.scene.images_dir, out)
    by_name = {}
    for name, gain in zip(plain.scene.poses, gains, strict=True):
        rgb = np.asarray(Image.open(out / name), np.float64)
        Image.fromarray(np.clip(rgb * gain + 0.5, 0, 255).astype(np.uint8)).save(out / name, quality=95)
        by_name[name] = gain
    return by_name


def test_photos_of_one_exposure_agree(plain: DemoReconstruction) -> None:
    """Photos rendered in one exposure spread far below the `auto` threshold."""
    agreement = colour_agreement(plain.sparse_dir, plain.scene.images_dir)
    assert agreement.measured and len(agreement.gains) == 16
    assert agreement.spread < TrainParams().appearance_colour_spread / 2, agreement.spread


def test_jittered_photos_disagree_and_their_gains_come_back(plain: DemoReconstruction, tmp_path: Path) -> None:
    """The same photos at +-0.8 stops and +-0.2 white balance spread above the threshold, and each photo's
    measured gain matches the applied one (relative to the mean) within 6% per channel."""
    applied = _jittered_copy(plain, tmp_path / "images")
    agreement = colour_agreement(plain.sparse_dir, tmp_path / "images")
    assert agreement.spread > 1.5 * TrainParams().appearance_colour_spread, agreement.spread
    true_logs = np.log(np.stack([applied[n] for n in agreement.gains]))
    true_logs -= true_logs.mean(axis=0, keepdims=True)
    measured_logs = np.log(np.stack(list(agreement.gains.values())))
    assert np.abs(measured_logs - true_logs).max() < np.log(1.06), np.abs(measured_logs - true_logs).max()


def test_too_few_photos_leave_it_unmeasured(plain: DemoReconstruction) -> None:
    """Two photos cannot say which of them strays: the agreement is not measured (auto falls back to its probe)."""
    names = sorted(plain.scene.poses)[:2]
    assert not colour_agreement(plain.sparse_dir, plain.scene.images_dir, names).measured
