"""Rigid and similarity alignment of camera centres, and rotation angles: the maths SfM's accuracy check and
the demo's ground-truth comparison share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Similarity:
    """`x_truth ~= scale * R @ x_estimated + t`."""

    scale: float
    R: np.ndarray  # [3, 3]
    t: np.ndarray  # [3]

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map points [N, 3] from the estimated frame into the truth's frame."""
        return self.scale * points @ self.R.T + self.t


def umeyama(source: np.ndarray, target: np.ndarray) -> Similarity:
    """The least-squares similarity taking source points [N, 3] onto target points [N, 3] (Umeyama 1991)."""
    if source.shape != target.shape or source.shape[0] < 3:
        raise ValueError(f"need two equal sets of at least 3 points, got {source.shape} and {target.shape}")
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    xs, xt = source - mu_s, target - mu_t
    cov = xt.T @ xs / len(source)  # [3, 3]
    u, d, vt = np.linalg.svd(cov)
    signs = np.array([1.0, 1.0, np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0])
    R = u @ np.diag(signs) @ vt
    var_s = np.mean(np.sum(xs * xs, axis=1))
    if var_s <= 0:
        raise ValueError("the estimated camera centres all coincide")
    scale = float(np.sum(d * signs) / var_s)
    return Similarity(scale=scale, R=R, t=mu_t - scale * R @ mu_s)


def rotation_angle_deg(R: np.ndarray) -> float:
    """The angle of a rotation matrix [3, 3], in degrees (atan2 form: accurate near 0 and 180)."""
    axis = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])  # 2 sin(angle) * unit axis
    return float(np.degrees(np.arctan2(np.linalg.norm(axis) / 2.0, (np.trace(R) - 1.0) / 2.0)))
