"""Scene normalisation: a translation and a uniform scale, so that exports map back exactly.

Training runs in a normalised world where the camera centres are centred on the origin and their
median distance from it is 1. No rotation is applied, so splat orientations and spherical harmonics
need no change on export: only positions and log-scales are mapped back.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SceneTransform:
    """`normalised = (world - center) * scale`."""

    center: tuple[float, float, float]
    scale: float
    scene_extent: float  # 1.1 x the largest camera distance from the centre, in normalised units

    def points_to_normalised(self, points: np.ndarray) -> np.ndarray:
        """[P, 3] world -> normalised."""
        return (points - np.asarray(self.center)) * self.scale

    def points_to_world(self, points: np.ndarray) -> np.ndarray:
        """[P, 3] normalised -> world."""
        return points / self.scale + np.asarray(self.center)

    def log_scales_to_world(self, log_scales: np.ndarray) -> np.ndarray:
        """[P, 3] log splat scales, normalised -> world."""
        return log_scales - np.log(self.scale)

    def log_scales_to_normalised(self, log_scales: np.ndarray) -> np.ndarray:
        """[P, 3] log splat scales, world -> normalised."""
        return log_scales + np.log(self.scale)

    def viewmat_to_normalised(self, world_to_cam: np.ndarray) -> np.ndarray:
        """[4, 4] world-to-camera in world units -> the same camera over the normalised world."""
        rot, t = world_to_cam[:3, :3], world_to_cam[:3, 3]
        out = np.eye(4)
        out[:3, :3] = rot
        out[:3, 3] = self.scale * (rot @ np.asarray(self.center) + t)
        return out


def fit_transform(world_to_cams: list[np.ndarray], points: np.ndarray) -> SceneTransform:
    """Centre on the camera centroid; scale the median camera distance to 1 (points if cameras coincide)."""
    centers = np.stack([-m[:3, :3].T @ m[:3, 3] for m in world_to_cams])  # [V, 3]
    center = centers.mean(axis=0)
    dists = np.linalg.norm(centers - center, axis=1)
    spread = float(np.median(dists))
    if spread < 1e-9:
        spread = float(np.median(np.linalg.norm(points - center, axis=1))) if len(points) else 1.0
    spread = spread if spread > 1e-9 else 1.0
    scale = 1.0 / spread
    extent = 1.1 * max(float(dists.max()) * scale, 1e-3)
    cx, cy, cz = (float(c) for c in center)
    return SceneTransform(center=(cx, cy, cz), scale=scale, scene_extent=extent)
