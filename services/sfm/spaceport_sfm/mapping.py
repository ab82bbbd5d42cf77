"""Mapping step: incremental (default) or global SfM, then a checked principal-point refinement (child)."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pycolmap
import structlog

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import mapper_options
from spaceport_sfm.report import PrincipalPointCheck
from spaceport_sfm.statistics import registered_names

log = structlog.get_logger(__name__)

PRINCIPAL_POINT_LIMIT = 0.02
"""A refined principal point may move at most this share of the longer image side, else it is reverted:
real lenses sit within about 1% of the centre (fox: 0.7%); a larger move is the refinement drifting."""
PRINCIPAL_POINT_MIN_IMAGES = 15
"""With fewer registered images the principal point is too weakly constrained to refine."""

COMPLETION_MIN_INLIERS = 15
COMPLETION_MIN_INLIER_RATIO = 0.15
COMPLETION_MAX_TRIALS = 6
"""The completion pass registers a left-out photo on 15 pose inliers (COLMAP: 30) at a 15% inlier ratio (25%),
with 6 tries per photo (3). Two-view verification already asked 15 inliers of every pair, so a photo of another
place still has no matches to try. The walk video (60 frames at 240x180) stalls at 44 of 60 in about one mapping
run in five with COLMAP's thresholds (its frames 46 and 1 see 30-50 points); resumed from that model with these,
all 60 register, as close to the truth as the rest."""


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
    ordered = sorted(models.values(), key=lambda m: (m.num_reg_images(), m.num_points3D()), reverse=True)
    if params.mapper == "global" or not ordered or ordered[0].num_reg_images() >= images:
        return ordered
    return complete_largest(ordered, database, images_dir, out_dir.parent / "completion", params, threads, images)


def complete_largest(
    models: list[pycolmap.Reconstruction],
    database: Path,
    images_dir: Path,
    work: Path,
    params: SfmParams,
    threads: int,
    images: int,
) -> list[pycolmap.Reconstruction]:
    """The models with the largest one resumed once at relaxed registration thresholds, so photos the mapper
    left out (its thresholds missed them by a few inliers, or they joined a smaller overlapping model) join
    it; secondary models whose photos all joined are dropped. Unchanged when no photo joins."""
    largest = models[0]
    start = work / "input"
    start.mkdir(parents=True, exist_ok=True)
    largest.write(start)
    options = mapper_options(pycolmap.IncrementalPipelineOptions(), params, threads, images)
    options.multiple_models = False
    options.mapper.abs_pose_min_num_inliers = COMPLETION_MIN_INLIERS
    options.mapper.abs_pose_min_inlier_ratio = COMPLETION_MIN_INLIER_RATIO
    options.mapper.max_reg_trials = COMPLETION_MAX_TRIALS
    resumed = pycolmap.incremental_mapping(database, images_dir, work / "output", options=options, input_path=start)
    completed = max(resumed.values(), key=lambda m: m.num_reg_images(), default=None)
    before = largest.num_reg_images()
    if completed is None or completed.num_reg_images() <= before:
        log.info("mapping_completion_unchanged", registered=before, images=images)
        return models
    joined = registered_names(completed)
    rest = [model for model in models[1:] if not registered_names(model) <= joined]
    log.info(
        "mapping_completed",
        registered_before=before,
        registered_after=completed.num_reg_images(),
        images=images,
        models_dropped=len(models) - 1 - len(rest),
    )
    return [completed, *rest]


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
