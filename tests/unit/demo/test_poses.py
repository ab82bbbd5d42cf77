"""pose_errors: similarity alignment of camera centres, then centre and rotation errors."""

import math

import numpy as np
import pytest

from spaceport_app.demo import Pose, look_at, orbit_poses, pose_errors, umeyama

pytestmark = pytest.mark.unit


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def axis_angle(axis: np.ndarray, deg: float) -> np.ndarray:
    a = axis / np.linalg.norm(axis)
    k = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    th = math.radians(deg)
    return np.eye(3) + math.sin(th) * k + (1 - math.cos(th)) * k @ k


@pytest.fixture
def truth() -> dict[str, Pose]:
    """24 orbit poses, named like the generator's photos."""
    return {f"view_{i:03d}.jpg": p for i, p in enumerate(orbit_poses(24, np.random.default_rng(5)))}


def transformed(truth: dict[str, Pose], s: float, Q: np.ndarray, d: np.ndarray) -> dict[str, tuple]:
    """The same cameras in a world mapped by x' = s Q x + d (what SfM's arbitrary frame looks like)."""
    out = {}
    for name, p in truth.items():
        R = p.R @ Q.T  # x_cam = R x = R Q^T (x' - d) / s  ->  scale the translation to the new units
        out[name] = (R, s * p.t - R @ d)
    return out


def test_truth_under_a_random_similarity_has_no_error(truth: dict[str, Pose]) -> None:
    """A random scale/rotation/translation of the true poses gives ~0 error and the inverse scale."""
    rng = np.random.default_rng(0)
    est = transformed(truth, 0.37, random_rotation(rng), rng.normal(size=3) * 10)
    errors = pose_errors(est, truth)
    assert errors.compared == 24 and errors.missing == ()
    assert errors.centre_max < 1e-9 and errors.rotation_max_deg < 1e-5
    assert errors.alignment.scale == pytest.approx(1 / 0.37, rel=1e-9)


def test_one_turned_camera_shows_its_angle(truth: dict[str, Pose]) -> None:
    """Turning one camera by 2 degrees about its own centre gives max rotation error 2 deg, median ~0."""
    names = list(truth)
    p = truth[names[7]]
    turned = axis_angle(np.array([0.3, -1.0, 0.2]), 2.0) @ p.R
    est = {n: (q.R, q.t) for n, q in truth.items()}
    est[names[7]] = (turned, -turned @ p.centre)
    errors = pose_errors(est, truth)
    assert errors.rotation_max_deg == pytest.approx(2.0, abs=1e-9)
    assert errors.worst_rotation == names[7]
    assert errors.rotation_median_deg < 1e-9 and errors.centre_max < 1e-9


def test_one_moved_camera_shows_its_displacement(truth: dict[str, Pose]) -> None:
    """Moving one of 24 centres by 1% of the scale: it is the worst, and the alignment absorbs < 25% of it."""
    names = list(truth)
    centres = np.array([p.centre for p in truth.values()])
    scale = np.median(np.linalg.norm(centres - centres.mean(axis=0), axis=1))
    p = truth[names[3]]
    moved = p.centre + np.array([0.0, 0.0, 0.01 * scale])
    est = {n: (q.R, q.t) for n, q in truth.items()}
    est[names[3]] = (p.R, -p.R @ moved)
    errors = pose_errors(est, truth)
    assert errors.scene_scale == pytest.approx(scale)
    assert errors.worst_centre == names[3]
    assert 0.0075 < errors.centre_max <= 0.01 and errors.centre_median < 0.001


def test_missing_images_are_listed_and_too_few_refused(truth: dict[str, Pose]) -> None:
    """Images without an estimate are reported as missing; fewer than 3 in common is a ValueError."""
    names = list(truth)
    est = {n: (truth[n].R, truth[n].t) for n in names[:20]}
    assert pose_errors(est, truth).missing == tuple(names[20:])
    with pytest.raises(ValueError, match="only 2 of 24"):
        pose_errors({n: est[n] for n in names[:2]}, truth)


def test_umeyama_returns_a_proper_rotation_for_mirrored_points() -> None:
    """Umeyama never returns a reflection, even when the best orthogonal fit would be one."""
    rng = np.random.default_rng(1)
    src = rng.normal(size=(10, 3))
    fit = umeyama(src, src * np.array([1.0, 1.0, -1.0]))
    assert np.linalg.det(fit.R) == pytest.approx(1.0)
    pose = look_at(np.array([1.0, 2.0, 3.0]), np.zeros(3))
    np.testing.assert_allclose(umeyama(src, src @ pose.R.T * 2 + 1).R, pose.R, atol=1e-9)
