"""Mapping step: incremental (default) or global SfM, then a checked principal-point refinement (child)."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pycolmap
import structlog

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import mapper_options
from spaceport_sfm.report import PrincipalPointCheck

log = structlog.get_logger(__name__)

PRINCIPAL_POINT_LIMIT = 0.02
"""A refined principal point may move at most this share of the longer image side, else it is reverted:
real lenses sit within about 1% of the centre (fox: 0.7%); a larger move is the refinement drifting."""
PRINCIPAL_POINT_MIN_IMAGES = 15
"""With fewer registered images the principal point is too weakly constrained to refine."""


def run_mapper(
    database: Path,
    images_dir: Path,
    out_dir: Path,
    params: SfmParams,
    threads: int,
    on_registered: Callable[[int], None],
    images: int,
) -> list[pycolmap.Reconstruction]:
    """Every model the mapper built from `images` photos, largest (most registered images) first; empty when
    none."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if params.mapper == "global":
        options = mapper_options(pycolmap.GlobalPipelineOptions(), params, threads, images)
        models = pycolmap.global_mapping(database, images_dir, out_dir, options=options)
    else:
        incremental = mapper_options(pycolmap.IncrementalPipelineOptions(), params, threads, images)
        models = pycolmap.incremental_mapping(
            database, images_dir, out_dir, options=incremental, next_image_callback=_Counter(on_registered)
        )
    return sorted(models.values(), key=lambda m: (m.num_reg_images(), m.num_points3D()), reverse=True)


class _Counter:
    """Counts images registered by the incremental mapper (its callback takes no arguments)."""

    def __init__(self, report: Callable[[int], None]) -> None:
        self.count = 0
        self.report = report

    def __call__(self) -> None:
        self.count += 1
        self.report(self.count)


def refine_principal_point(
    model: pycolmap.Reconstruction, threads: int
) -> tuple[pycolmap.Reconstruction, PrincipalPointCheck]:
    """One more bundle adjustment that also frees the principal point, kept only if it stays plausible.

    COLMAP keeps the principal point at the image centre; real lenses are off by a few pixels, which
    shows up as a systematic rotation error (0.6 degrees on fox). Refining it once the structure is
    settled is stable, unlike refining it from the first image pair on. Returns the model to use.
    """
    error_before = model.compute_mean_reprojection_error()
    if model.num_reg_images() < PRINCIPAL_POINT_MIN_IMAGES:
        return model, PrincipalPointCheck(
            applied=False,
            shift_px=0.0,
            limit_px=0.0,
            reprojection_error_before_px=error_before,
            reprojection_error_after_px=error_before,
            note=f"not refined: {model.num_reg_images()} images (need {PRINCIPAL_POINT_MIN_IMAGES})",
        )
    refined = pycolmap.Reconstruction(model)
    options = pycolmap.BundleAdjustmentOptions()
    options.refine_principal_point = True
    options.ceres.solver_options.num_threads = threads
    pycolmap.bundle_adjustment(refined, options)
    shift, limit = _largest_shift(model, refined)
    error_after = refined.compute_mean_reprojection_error()
    applied = bool(shift <= limit and error_after <= error_before * 1.05)
    if not applied:
        log.warning("principal_point_reverted", shift_px=shift, limit_px=limit)
    check = PrincipalPointCheck(
        applied=applied,
        shift_px=shift,
        limit_px=limit,
        reprojection_error_before_px=error_before,
        reprojection_error_after_px=error_after,
        note="refined" if applied else "reverted: moved too far or raised the error",
    )
    return (refined if applied else model), check


def _largest_shift(before: pycolmap.Reconstruction, after: pycolmap.Reconstruction) -> tuple[float, float]:
    """The principal-point move of the camera that moved most (relative to its limit), and that limit."""
    moves = []
    for camera_id, camera in after.cameras.items():
        old = before.cameras[camera_id]
        shift = float(
            np.hypot(camera.principal_point_x - old.principal_point_x, camera.principal_point_y - old.principal_point_y)
        )
        moves.append((shift, PRINCIPAL_POINT_LIMIT * max(camera.width, camera.height)))
    return max(moves, key=lambda move: move[0] / move[1])
