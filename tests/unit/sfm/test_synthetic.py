"""A rendered synthetic scene with known cameras: reconstructed poses agree with the truth."""

import numpy as np
import pytest

from spaceport.criteria import Thresholds
from spaceport.params import SfmParams
from spaceport_sfm import RunOptions, SfmReport, reconstruct
from spaceport_sfm.evaluation import CameraPose, compare_poses, load_sparse_model
from tests.unit.sfm.scenes import synthetic_scene

pytestmark = pytest.mark.unit
TRUE_FOCAL = 1280.0


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[CameraPose], SfmReport]:
    """Ten 1024x768 views of 100 textured points (seed 0), reconstructed with the fast profile."""
    root = tmp_path_factory.mktemp("synthetic")
    truth = synthetic_scene(root / "images", frames=10, points=100, seed=0)
    options = RunOptions(threads=2, thresholds=Thresholds(min_points=100))
    return truth, reconstruct(root / "images", root / "work", SfmParams.preset("fast"), options=options)


def test_every_synthetic_view_is_registered(synthetic: tuple[list[CameraPose], SfmReport]) -> None:
    """All ten rendered views end up in one model that passes the gate (points floor lowered to 100)."""
    truth, report = synthetic
    assert report.passed and report.metrics.images_registered == len(truth) == 10
    assert report.metrics.num_models == 1


def test_synthetic_poses_within_tolerance(synthetic: tuple[list[CameraPose], SfmReport]) -> None:
    """After a similarity alignment: median rotation error < 0.3 deg (max < 1), centres within 1% of the scene."""
    truth, report = synthetic
    assert report.sparse_dir is not None
    accuracy = compare_poses(load_sparse_model(report.sparse_dir), truth)
    assert accuracy.cameras == 10
    assert accuracy.median_rotation_error_deg < 0.3 and accuracy.max_rotation_error_deg < 1.0
    assert accuracy.median_centre_error < 0.01 and accuracy.median_relative_rotation_error_deg < 0.3


def test_synthetic_focal_length_is_recovered(synthetic: tuple[list[CameraPose], SfmReport]) -> None:
    """Self-calibration finds the true 1280 px focal length within 2% (its prior was 1.2 x 1024 px)."""
    focal = synthetic[1].attempts[-1].models[0].camera_params[0]
    assert abs(focal - TRUE_FOCAL) / TRUE_FOCAL < 0.02


def test_alignment_detects_a_wrong_pose(synthetic: tuple[list[CameraPose], SfmReport]) -> None:
    """The accuracy check is not vacuous: one camera turned by 5 degrees shows up as the max rotation error."""
    truth, report = synthetic
    assert report.sparse_dir is not None
    estimated = load_sparse_model(report.sparse_dir)
    angle = np.radians(5.0)
    turn = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    first = estimated[0]
    estimated[0] = CameraPose(first.name, first.rotation @ turn, first.centre)
    assert compare_poses(estimated, truth).max_rotation_error_deg > 4.0


def test_report_states_peak_memory(synthetic: tuple[list[CameraPose], SfmReport]) -> None:
    """The report gives the pycolmap child's peak RSS per step (never falling) and the stage's peak, at least
    the child's plus this process's resident memory."""
    _, report = synthetic
    attempt = report.attempts[-1]
    steps = [attempt.step_peak_rss_bytes[s] for s in ("extraction", "matching", "mapping", "statistics")]
    assert steps == sorted(steps) and steps[0] > 50 * 2**20  # pycolmap and numpy alone take more
    assert attempt.peak_rss_bytes >= steps[-1]
    assert report.metrics.peak_rss_bytes > attempt.peak_rss_bytes
