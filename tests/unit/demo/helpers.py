"""Independent re-statements of the conventions the demo must follow, for the tests to check it against."""

import numpy as np

from spaceport_app.demo import Intrinsics


def colmap_project(cam: Intrinsics, points_cam: np.ndarray) -> np.ndarray:
    """SIMPLE_RADIAL as COLMAP writes it (camera frame [N, 3] -> pixels [N, 2], top-left pixel centre 0.5)."""
    u, v = points_cam[:, 0] / points_cam[:, 2], points_cam[:, 1] / points_cam[:, 2]
    radial = cam.k * (u * u + v * v)
    return np.stack([cam.f * (u + u * radial) + cam.cx, cam.f * (v + v * radial) + cam.cy], axis=1)
