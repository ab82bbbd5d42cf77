"""The `exposure-jitter` demo capture: photos in per-photo exposure and white balance, clean ones beside them."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from spaceport_app.demo import CAPTURES, ColourJitter, generate_scene

pytestmark = pytest.mark.unit


def test_gains_have_mean_one_and_are_reproducible() -> None:
    """Per-photo gains average 1 per channel (true colours are the mean) and a seed gives the same gains."""
    jitter = ColourJitter()
    gains = jitter.gains(24, np.random.default_rng([0, 2]))
    assert gains.shape == (24, 3) and np.allclose(gains.mean(axis=0), 1.0)
    assert gains.max() / gains.min() > 2.0  # strong: over a stop between the darkest and brightest channel
    assert np.array_equal(gains, jitter.gains(24, np.random.default_rng([0, 2])))


def test_jittered_capture_writes_clean_photos_beside_the_jittered_ones(tmp_path: Path) -> None:
    """Every photo has a clean twin; their ratio is one gain per photo and channel, different across photos."""
    capture = CAPTURES["exposure-jitter"].scaled(0.1)
    scene = generate_scene(tmp_path / "scene", views=4, capture=capture, supersample=1)
    ratios = []
    for path in scene.image_paths:
        photo = np.asarray(Image.open(path), np.float64)
        clean = np.asarray(Image.open(scene.clean_dir / path.name), np.float64)
        unclipped = (photo < 250).all(axis=2) & (clean > 20).all(axis=2)
        ratios.append((photo[unclipped] / clean[unclipped]).mean(axis=0))
    spread = np.ptp(np.stack(ratios), axis=0)
    assert (spread > 0.1).all(), ratios


def test_plain_capture_writes_no_clean_folder(tmp_path: Path) -> None:
    """A capture without jitter has no clean twins (its photos are the true colours)."""
    scene = generate_scene(tmp_path / "scene", views=3, capture=CAPTURES["landscape"].scaled(0.1), supersample=1)
    assert not scene.clean_dir.exists()
