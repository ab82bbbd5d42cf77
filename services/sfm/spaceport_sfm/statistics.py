"""Statistics step: what the database and the models say, as plain typed records (pycolmap child only)."""

from pathlib import Path

import pycolmap

from spaceport_sfm.protocol import ImageStats, PairStats
from spaceport_sfm.report import ModelSummary

MIN_VERIFIED_INLIERS = 15
"""COLMAP's default minimum of inliers for a verified pair (TwoViewGeometryOptions.min_num_inliers)."""


def database_stats(database: Path) -> tuple[tuple[ImageStats, ...], tuple[PairStats, ...]]:
    """Keypoints per image, and every pair that survived geometric verification."""
    with pycolmap.Database.open(database) as db:
        images = {image.image_id: image.name for image in db.read_all_images()}
        stats = tuple(
            ImageStats(name=name, keypoints=db.num_keypoints_for_image(image_id))
            for image_id, name in sorted(images.items(), key=lambda item: item[1])
        )
        pair_ids, geometries = db.read_two_view_geometries()
    pairs = []
    for pair_id, geometry in zip(pair_ids, geometries, strict=True):
        inliers = len(geometry.inlier_matches)
        if inliers < MIN_VERIFIED_INLIERS:
            continue
        first, second = pycolmap.pair_id_to_image_pair(pair_id)
        pairs.append(PairStats(first=images[first], second=images[second], inliers=inliers))
    return stats, tuple(sorted(pairs, key=lambda p: (p.first, p.second)))


def matched_pair_count(database: Path) -> int:
    """How many image pairs the matcher compared (each has a row of matches, possibly empty)."""
    with pycolmap.Database.open(database) as db:
        return int(db.num_matched_image_pairs())


def registered_names(reconstruction: pycolmap.Reconstruction) -> set[str]:
    """The names of the photos `reconstruction` registered."""
    return {reconstruction.images[i].name for i in reconstruction.reg_image_ids()}


def summarize(reconstruction: pycolmap.Reconstruction, index: int) -> ModelSummary:
    """COLMAP's figures for one model, with its (first) camera."""
    camera = next(iter(reconstruction.cameras.values()))
    names = sorted(registered_names(reconstruction))
    return ModelSummary(
        index=index,
        registered=reconstruction.num_reg_images(),
        points3d=reconstruction.num_points3D(),
        observations=reconstruction.compute_num_observations(),
        mean_track_length=reconstruction.compute_mean_track_length(),
        mean_reprojection_error_px=reconstruction.compute_mean_reprojection_error(),
        camera_model=camera.model.name,
        camera_params=tuple(float(v) for v in camera.params),
        image_names=tuple(names),
    )
