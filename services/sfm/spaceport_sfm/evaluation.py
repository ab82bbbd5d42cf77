"""Pose accuracy against reference poses (e.g. fox's transforms.json): similarity-aligned camera centres,
rotation errors and pairwise relative rotations. The alignment maths is the kernel's (`spaceport_app.demo.poses`)."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from spaceport.geometry import rotation_angle_deg, umeyama

if TYPE_CHECKING:
    import pycolmap

Matrix = NDArray[np.float64]
OPENGL_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


@dataclass(frozen=True)
class CameraPose:
    """A camera-to-world pose in OpenCV axes (x right, y down, z forward)."""

    name: str
    rotation: Matrix  # [3, 3] camera-to-world rotation
    centre: Matrix  # [3] camera centre in world coordinates


@dataclass(frozen=True)
class PoseAccuracy:
    """How far estimated cameras are from the reference ones, after a similarity alignment."""

    cameras: int
    scene_scale: float
    median_centre_error: float  # as a fraction of the scene scale
    max_centre_error: float
    median_rotation_error_deg: float
    max_rotation_error_deg: float
    median_relative_rotation_error_deg: float  # pairwise, needs no alignment


def compare_poses(estimated: list[CameraPose], reference: list[CameraPose]) -> PoseAccuracy:
    """Align estimated centres to the reference ones (by name) and measure centre and rotation errors."""
    ref_by_name = {pose.name: pose for pose in reference}
    pairs = [(est, ref_by_name[est.name]) for est in estimated if est.name in ref_by_name]
    if len(pairs) < 3:
        raise ValueError(f"need at least 3 cameras in common to align, got {len(pairs)}")
    est_c = np.array([e.centre for e, _ in pairs])
    ref_c = np.array([r.centre for _, r in pairs])
    align = umeyama(est_c, ref_c)
    scale = float(np.median(np.linalg.norm(ref_c - ref_c.mean(axis=0), axis=1)))
    centre_err = np.linalg.norm(align.apply(est_c) - ref_c, axis=1) / scale
    rot_err = np.array([rotation_angle_deg(r.rotation.T @ align.R @ e.rotation) for e, r in pairs])
    return PoseAccuracy(
        cameras=len(pairs),
        scene_scale=scale,
        median_centre_error=float(np.median(centre_err)),
        max_centre_error=float(centre_err.max()),
        median_rotation_error_deg=float(np.median(rot_err)),
        max_rotation_error_deg=float(rot_err.max()),
        median_relative_rotation_error_deg=_relative_rotation_error(pairs),
    )


def _relative_rotation_error(pairs: list[tuple[CameraPose, CameraPose]]) -> float:
    errors = []
    for i in range(len(pairs)):
        for j in range(i + 1, len(pairs)):
            (ei, ri), (ej, rj) = pairs[i], pairs[j]
            rel_est = ei.rotation.T @ ej.rotation
            rel_ref = ri.rotation.T @ rj.rotation
            errors.append(rotation_angle_deg(rel_ref.T @ rel_est))
    return float(np.median(errors))


def load_transforms_json(path: Path) -> list[CameraPose]:
    """Reference poses from a NeRF-style `transforms.json` (OpenGL camera-to-world), keyed by file name."""
    data = json.loads(path.read_text())
    poses = []
    for frame in data["frames"]:
        c2w = np.asarray(frame["transform_matrix"], dtype=np.float64) @ OPENGL_TO_OPENCV
        poses.append(CameraPose(Path(frame["file_path"]).name, c2w[:3, :3], c2w[:3, 3]))
    return poses


def load_sparse_model(model_dir: Path) -> list[CameraPose]:
    """Camera poses of a COLMAP model folder (needs pycolmap)."""
    import pycolmap

    return poses_of(pycolmap.Reconstruction(model_dir))


def poses_of(reconstruction: "pycolmap.Reconstruction") -> list[CameraPose]:
    """Camera-to-world poses of every registered image of a pycolmap reconstruction."""
    poses = []
    for image_id in reconstruction.reg_image_ids():
        image = reconstruction.images[image_id]
        c2w = image.cam_from_world().inverse()
        poses.append(CameraPose(image.name, c2w.rotation.matrix(), np.asarray(c2w.translation)))
    return poses
