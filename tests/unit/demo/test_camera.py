"""The demo camera follows COLMAP's SIMPLE_RADIAL model and OpenCV axes."""

import math

import numpy as np
import pytest

from spaceport_app.demo import Intrinsics, look_at
from tests.unit.demo.helpers import colmap_project

pytestmark = pytest.mark.unit


def test_phone_camera_has_the_asked_field_of_view() -> None:
    """Intrinsics.phone puts the principal point at the image centre and gives the asked horizontal FOV."""
    cam = Intrinsics.phone(640, 480, hfov_deg=66.0)
    assert (cam.cx, cam.cy) == (320.0, 240.0)
    assert math.degrees(2 * math.atan(320.0 / cam.f)) == pytest.approx(66.0, abs=1e-9)


@pytest.mark.parametrize("k", [-0.08, -0.04, 0.0, 0.05])
def test_undistort_inverts_distort(k: float) -> None:
    """undistort(distort(x)) == x across and beyond the image, for barrel and pincushion k."""
    cam = Intrinsics.phone(640, 480, k=k)
    xy = np.random.default_rng(0).uniform(-0.9, 0.9, (2000, 2))
    np.testing.assert_allclose(cam.undistort(cam.distort(xy)), xy, atol=1e-12)


def test_pixel_rays_project_back_to_their_subpixel_centres() -> None:
    """Each 2x2 subpixel ray projects (COLMAP formula, distortion applied) to its subpixel centre."""
    cam = Intrinsics.phone(64, 48, k=-0.06)
    rays = cam.pixel_rays(2).reshape(-1, 3)
    j, i = np.meshgrid(np.arange(128), np.arange(96))
    expected = np.stack([(j.ravel() + 0.5) / 2, (i.ravel() + 0.5) / 2], axis=1)
    np.testing.assert_allclose(colmap_project(cam, rays * 3.7), expected, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(rays, axis=1), 1.0, atol=1e-12)


def test_look_at_sees_its_target_at_the_principal_point_with_up_at_the_top() -> None:
    """look_at: centre as asked, proper rotation, target on the optical axis, world +z points to image -y."""
    cam = Intrinsics.phone(640, 480)
    centre, target = np.array([3.0, -2.0, 1.5]), np.array([0.2, 0.1, 0.4])
    pose = look_at(centre, target)
    np.testing.assert_allclose(pose.centre, centre, atol=1e-12)
    np.testing.assert_allclose(pose.R @ pose.R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(pose.R) == pytest.approx(1.0)
    pts = pose.to_camera(np.array([target, [*target[:2], target[2] + 0.5]]))
    uv = colmap_project(cam, pts)
    np.testing.assert_allclose(uv[0], [cam.cx, cam.cy], atol=1e-9)
    assert uv[1, 1] < uv[0, 1] - 10 and abs(uv[1, 0] - cam.cx) < 1e-6


def test_roll_turns_the_image_about_the_optical_axis() -> None:
    """A roll of r degrees turns the image of a point above the target by r degrees about the centre."""
    centre, target = np.array([4.0, 0.0, 1.0]), np.zeros(3)
    above = np.array([[0.0, 0.0, 0.5]])
    flat, rolled = (
        look_at(centre, target).to_camera(above)[0],
        look_at(centre, target, 7.0).to_camera(above)[0],
    )
    angle = math.degrees(math.atan2(rolled[0], -rolled[1]) - math.atan2(flat[0], -flat[1]))
    assert abs(angle) == pytest.approx(7.0, abs=1e-9)
