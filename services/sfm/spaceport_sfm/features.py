"""Extraction step: SIFT features of the validated images into a fresh database (pycolmap child only)."""

from pathlib import Path

import pycolmap
import structlog
from spaceport.params import SfmParams

from spaceport_sfm.colmap_options import camera_mode, extraction_options, reader_options

log = structlog.get_logger(__name__)


def extract(database: Path, images_dir: Path, image_names: list[str], params: SfmParams, threads: int) -> int:
    """Extract features of exactly `image_names` (stray files are never read); returns the keypoint total."""
    if database.exists():
        database.unlink()  # pycolmap silently skips images already in a database
    pycolmap.extract_features(
        database,
        images_dir,
        image_names=image_names,
        camera_mode=camera_mode(params),
        reader_options=reader_options(params),
        extraction_options=extraction_options(params, threads),
        device=pycolmap.Device.auto,
    )
    with pycolmap.Database.open(database) as db:
        keypoints = int(db.num_keypoints())
        log.info("features_extracted", images=db.num_images(), keypoints=keypoints)
    return keypoints
