"""Cameras as the renderers take them: intrinsics, world-to-camera pose and lens distortion.

Distortion follows OpenCV, in normalised image coordinates (so it does not change with image size):
- pinhole: rational radial `[k1..k6]` (numerator k1..k3, denominator k4..k6) and tangential `[p1, p2]`;
- fisheye: equidistant `theta * (1 + k1 theta^2 + ... + k4 theta^8)` with radial `[k1..k4]`.
COLMAP models outside this mapping (FOV, thin-prism) are undistorted before training instead.
"""

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import torch
from torch import Tensor

from spaceport_splats.colmap import CameraIntrinsics

Projection = Literal["pinhole", "fisheye"]


@dataclass(frozen=True)
class Lens:
    """Projection and distortion of one COLMAP camera, independent of image size."""

    projection: Projection
    radial: tuple[float, ...] = ()  # 6 (pinhole) or 4 (fisheye) coefficients, or () for none
    tangential: tuple[float, float] = (0.0, 0.0)

    def describe(self) -> str:
        """A stable text form: projection, radial and tangential coefficients (for comparing two lenses)."""
        radial = ",".join(f"{k:.9g}" for k in self.radial)
        tangential = ",".join(f"{p:.9g}" for p in self.tangential)
        return f"{self.projection}({radial};{tangential})"

    @property
    def distorted(self) -> bool:
        """Whether any coefficient is non-zero (the fisheye projection always counts)."""
        return self.projection == "fisheye" or any(self.radial) or any(self.tangential)


def lens_of(cam: CameraIntrinsics) -> Lens | None:
    """The lens of a COLMAP camera, or None when the renderers cannot take its model."""
    p = cam.params
    model = cam.model
    if model in ("SIMPLE_PINHOLE", "PINHOLE"):
        return Lens("pinhole")
    if model in ("SIMPLE_RADIAL", "RADIAL"):
        return Lens("pinhole", (p["k1"], p.get("k2", 0.0), 0.0, 0.0, 0.0, 0.0))
    if model == "OPENCV":
        return Lens("pinhole", (p["k1"], p["k2"], 0.0, 0.0, 0.0, 0.0), (p["p1"], p["p2"]))
    if model == "FULL_OPENCV":
        radial = (p["k1"], p["k2"], p["k3"], p["k4"], p["k5"], p["k6"])
        return Lens("pinhole", radial, (p["p1"], p["p2"]))
    if model == "OPENCV_FISHEYE":
        return Lens("fisheye", (p["k1"], p["k2"], p["k3"], p["k4"]))
    if model in ("SIMPLE_RADIAL_FISHEYE", "RADIAL_FISHEYE"):
        return Lens("fisheye", (p["k1"], p.get("k2", 0.0), 0.0, 0.0))
    return None


@dataclass(frozen=True)
class Camera:
    """One view as the renderers take it (tensors on the training device)."""

    viewmat: Tensor  # [4, 4] world -> camera, OpenCV axes (x right, y down, z forward)
    K: Tensor  # [3, 3]
    width: int
    height: int
    lens: Lens
    coeffs: tuple[Tensor, Tensor] | None = None  # lens.radial [R], lens.tangential [2] on the device

    @property
    def center(self) -> Tensor:
        """Camera centre in world coordinates."""  # [3]
        rot, t = self.viewmat[:3, :3], self.viewmat[:3, 3]
        return -rot.T @ t

    def to(self, device: torch.device | str) -> "Camera":
        """The camera on `device`, with its lens coefficients there too (no host copy per render)."""
        coeffs = (
            torch.tensor(self.lens.radial or (0.0,), dtype=torch.float32, device=device),
            torch.tensor(self.lens.tangential, dtype=torch.float32, device=device),
        )
        return replace(self, viewmat=self.viewmat.to(device), K=self.K.to(device), coeffs=coeffs)


def intrinsics_matrix(cam: CameraIntrinsics, width: int, height: int) -> np.ndarray:
    """K of `cam` rescaled to an image of `width` x `height` pixels."""  # [3, 3]
    sx, sy = width / cam.width, height / cam.height
    return np.array([[cam.fx * sx, 0.0, cam.cx * sx], [0.0, cam.fy * sy, cam.cy * sy], [0.0, 0.0, 1.0]])


def make_camera(world_to_cam: np.ndarray, K: np.ndarray, width: int, height: int, lens: Lens) -> Camera:
    """A float32 CPU camera from numpy arrays."""
    return Camera(
        viewmat=torch.as_tensor(world_to_cam, dtype=torch.float32),
        K=torch.as_tensor(K, dtype=torch.float32),
        width=width,
        height=height,
        lens=lens,
    )
