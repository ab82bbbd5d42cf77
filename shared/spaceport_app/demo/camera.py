"""The demo camera: COLMAP's SIMPLE_RADIAL model, look-at poses and the orbit the photos are taken on.

Conventions follow COLMAP: a pose is world-to-camera (`x_cam = R @ x_world + t`) in OpenCV axes
(x right, y down, z forward); pixel centres sit at half-integers, so the centre of the top-left pixel
is (0.5, 0.5) and the principal point (w/2, h/2) is the exact centre of the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NEWTON_STEPS = 12


@dataclass(frozen=True)
class Intrinsics:
    """A SIMPLE_RADIAL camera: `u = f * x * (1 + k * r^2) + cx` with `r^2 = x^2 + y^2`, `x = X / Z`."""

    width: int
    height: int
    f: float
    cx: float
    cy: float
    k: float

    @classmethod
    def phone(
        cls,
        width: int,
        height: int,
        hfov_deg: float = 66.0,
        k: float = -0.04,
        principal_offset: tuple[float, float] = (0.0, 0.0),
    ) -> Intrinsics:
        """A phone-like camera: `hfov_deg` across the longer side (66 degrees by default), mild barrel
        distortion; the principal point sits `principal_offset` (shares of width, height) from the centre."""
        f = (max(width, height) / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        dx, dy = principal_offset
        return cls(width=width, height=height, f=f, cx=width * (0.5 + dx), cy=height * (0.5 + dy), k=k)

    def distort(self, xy: np.ndarray) -> np.ndarray:
        """Normalised undistorted coordinates [N, 2] -> normalised distorted coordinates [N, 2]."""
        r2 = np.sum(xy * xy, axis=-1, keepdims=True)
        return xy * (1.0 + self.k * r2)

    def undistort(self, xy_d: np.ndarray) -> np.ndarray:
        """Invert `distort` by Newton's method on the radius; exact to float precision for |k| r^2 < 1/3."""
        r_d = np.sqrt(np.sum(xy_d * xy_d, axis=-1, keepdims=True))  # [N, 1]
        r = r_d.copy()
        for _ in range(NEWTON_STEPS):
            r = r - (r + self.k * r**3 - r_d) / (1.0 + 3.0 * self.k * r * r)
        scale = np.divide(r, r_d, out=np.ones_like(r), where=r_d > 0)
        return xy_d * scale

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points [N, 3] (z > 0) -> pixel coordinates [N, 2], distortion applied."""
        xy = points_cam[:, :2] / points_cam[:, 2:3]
        xy_d = self.distort(xy)
        return xy_d * self.f + np.array([self.cx, self.cy])

    def pixel_rays(self, supersample: int = 1) -> np.ndarray:
        """Unit ray directions in the camera frame for every (sub)pixel centre: [H*s, W*s, 3]."""
        s = supersample
        u = (np.arange(self.width * s) + 0.5) / s  # [W*s]
        v = (np.arange(self.height * s) + 0.5) / s  # [H*s]
        uu, vv = np.meshgrid(u, v)  # [H*s, W*s]
        xy_d = np.stack([(uu - self.cx) / self.f, (vv - self.cy) / self.f], axis=-1).reshape(-1, 2)
        xy = self.undistort(xy_d)
        rays = np.concatenate([xy, np.ones((xy.shape[0], 1))], axis=1)
        rays /= np.linalg.norm(rays, axis=1, keepdims=True)
        return rays.reshape(self.height * s, self.width * s, 3)


@dataclass(frozen=True)
class Pose:
    """World-to-camera rigid transform, like COLMAP's `cam_from_world`: `x_cam = R @ x_world + t`."""

    R: np.ndarray  # [3, 3]
    t: np.ndarray  # [3]

    @property
    def centre(self) -> np.ndarray:
        """The camera centre in world coordinates: [3]."""
        return -self.R.T @ self.t

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points [N, 3] -> camera-frame points [N, 3]."""
        return points @ self.R.T + self.t


def look_at(centre: np.ndarray, target: np.ndarray, roll_deg: float = 0.0) -> Pose:
    """A camera at `centre` looking at `target`, world +z up, turned by `roll_deg` about its axis."""
    forward = target - centre
    forward = forward / np.linalg.norm(forward)
    right = np.cross(forward, np.array([0.0, 0.0, 1.0]))
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))
    right, down = c * right + s * down, -s * right + c * down
    R = np.stack([right, down, forward])  # rows: camera axes in world coordinates
    return Pose(R=R, t=-R @ centre)


@dataclass(frozen=True)
class Orbit:
    """A ring of camera positions around the scene, with a little variation in height, radius and aim.

    Metres. The cameras look down on the stage at about 25-35 degrees: a shallower, more grazing
    view of the floor cost SfM an order of magnitude in pose accuracy (0.5% instead of 0.04%).
    """

    radius: float = 3.9
    height: float = 2.3
    height_swing: float = 0.3
    radius_jitter: float = 0.15
    target_height: float = 0.3
    target_jitter: float = 0.15
    roll_jitter_deg: float = 2.0
    arc_deg: float = 360.0
    """How much of the circle the cameras cover: less than 360 is a forward-facing capture along an arc."""


def orbit_poses(views: int, rng: np.random.Generator, orbit: Orbit | None = None) -> list[Pose]:
    """`views` poses evenly spread around the orbit's arc (with a small random offset each)."""
    o = orbit or Orbit()
    phase = rng.uniform(0.0, 2.0 * math.pi)
    full = o.arc_deg >= 360.0
    span = math.radians(min(o.arc_deg, 360.0))
    step = span / views if full else span / max(views - 1, 1)
    poses = []
    for i in range(views):
        a = phase + i * step + rng.uniform(-0.1, 0.1) * step
        r = o.radius + rng.uniform(-1.0, 1.0) * o.radius_jitter
        z = o.height + o.height_swing * math.sin(2.0 * a + phase)
        centre = np.array([r * math.cos(a), r * math.sin(a), z])
        target = np.array([0.0, 0.0, o.target_height]) + rng.uniform(-1.0, 1.0, 3) * o.target_jitter
        poses.append(look_at(centre, target, roll_deg=rng.uniform(-1.0, 1.0) * o.roll_jitter_deg))
    return poses
