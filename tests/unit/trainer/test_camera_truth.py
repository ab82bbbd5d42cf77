"""The trainer's cameras put true surface points where the true cameras saw them, on every kind of capture."""

from pathlib import Path

import numpy as np
import pytest

from spaceport.params.trainer import TrainParams
from tests.support.camera_truth import demo_reconstruction, reprojection_errors

pytest.importorskip("spaceport_sfm.pipeline")
pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("capture", "profile"),
    [
        ("portrait", "fast"),
        ("strong-distortion", "fast"),
        ("two-cameras", "fast"),
        ("two-phones", "fast"),
        ("off-centre", "default"),  # the fast profile keeps the principal point at the centre: 0.4 px off here
    ],
)
def test_trainer_cameras_match_the_true_cameras(tmp_path: Path, capture: str, profile: str) -> None:
    """Through SfM, model reading, downscaling and the lens, every view's camera reprojects true points with a
    median error under 0.25 px and a 95th percentile under 1 px at the training size (preview, 256 px)."""
    built = demo_reconstruction(tmp_path, capture, profile, views=16, scale=0.75)
    errors = reprojection_errors(built, TrainParams.preset_named("preview"))
    assert sorted(errors) == sorted(built.scene.poses), "every view is registered and loaded"
    for name, err in errors.items():
        assert len(err) > 100, f"{name}: only {len(err)} points in view"
        assert np.median(err) < 0.25 and np.percentile(err, 95) < 1.0, (name, np.median(err), np.percentile(err, 95))
