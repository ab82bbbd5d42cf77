"""Pose accuracy against a ground truth, up to the similarity transform SfM cannot know.

The estimated camera centres are aligned to the true ones with Umeyama's least-squares similarity
(scale, rotation, translation). Centre errors are then reported relative to the scene scale (the
median distance of the true centres from their centroid) and rotation errors in degrees, after
applying the alignment's rotation to the estimated camera orientations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from spaceport.geometry import Similarity, rotation_angle_deg, umeyama
from spaceport_app.demo.camera import Pose
from spaceport_app.demo.scene import DemoScene

EstimatedPose = Pose | tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class PoseErrors:
    """How far estimated poses are from the truth after similarity alignment."""

    compared: int  # images present in both
    missing: tuple[str, ...]  # images of the truth without an estimate
    scene_scale: float  # median distance of the true centres from their centroid
    centre_median: float  # fraction of scene_scale
    centre_max: float
    rotation_median_deg: float
    rotation_max_deg: float
    worst_centre: str  # the image with the largest centre error
    worst_rotation: str  # the image with the largest rotation error
    alignment: Similarity

    def summary(self) -> str:
        """One line for people, e.g. in the demo's report."""
        total = self.compared + len(self.missing)
        return (
            f"{self.compared}/{total} views compared; camera centre error median "
            f"{100 * self.centre_median:.3f}% "
            f"max {100 * self.centre_max:.3f}% of the scene scale; rotation error median "
            f"{self.rotation_median_deg:.3f} deg max {self.rotation_max_deg:.3f} deg"
        )


def _as_pose(p: EstimatedPose) -> Pose:
    return p if isinstance(p, Pose) else Pose(R=np.asarray(p[0], float), t=np.asarray(p[1], float))


def pose_errors(estimated: Mapping[str, EstimatedPose], truth: DemoScene | Mapping[str, Pose]) -> PoseErrors:
    """Compare estimated cam_from_world poses (name -> Pose or (R [3, 3], t [3])) with the truth.

    Raises ValueError when fewer than three images are in both.
    """
    true_poses = truth.poses if isinstance(truth, DemoScene) else truth
    names = [n for n in true_poses if n in estimated]
    missing = tuple(n for n in true_poses if n not in estimated)
    if len(names) < 3:
        raise ValueError(f"only {len(names)} of {len(true_poses)} images have an estimated pose (need 3)")
    est = [_as_pose(estimated[n]) for n in names]
    ref = [true_poses[n] for n in names]
    c_est = np.array([p.centre for p in est])  # [N, 3]
    c_ref = np.array([p.centre for p in ref])  # [N, 3]
    align = umeyama(c_est, c_ref)
    scale = float(np.median(np.linalg.norm(c_ref - c_ref.mean(axis=0), axis=1)))
    centre_err = np.linalg.norm(align.apply(c_est) - c_ref, axis=1) / scale  # [N]
    # world-from-camera of the estimate, carried into the truth's frame, against the truth's
    rot_err = np.array([rotation_angle_deg(r.R @ align.R @ e.R.T) for e, r in zip(est, ref, strict=True)])
    return PoseErrors(
        compared=len(names),
        missing=missing,
        scene_scale=scale,
        centre_median=float(np.median(centre_err)),
        centre_max=float(centre_err.max()),
        rotation_median_deg=float(np.median(rot_err)),
        rotation_max_deg=float(rot_err.max()),
        worst_centre=names[int(np.argmax(centre_err))],
        worst_rotation=names[int(np.argmax(rot_err))],
        alignment=align,
    )
