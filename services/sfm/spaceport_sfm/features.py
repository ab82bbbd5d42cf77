"""Extraction step: SIFT features of the validated images into a fresh database (pycolmap child only)."""

from pathlib import Path

import pycolmap
import structlog
from PIL import Image

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import camera_mode, extraction_options, reader_options

log = structlog.get_logger(__name__)


def extract(database: Path, images_dir: Path, image_names: list[str], params: SfmParams, threads: int) -> int:
    """Extract features of exactly `image_names` (stray files are never read); returns the keypoint total.

    With one camera per job, COLMAP refuses every image whose size differs from the first one
    (CAMERA_SINGLE_DIM_ERROR, silently: no features). Portrait and landscape shots from one phone are
    common, so each image size gets its own camera: one extraction call per size into the same database.
    """
    if database.exists():
        database.unlink()  # pycolmap silently skips images already in a database
    groups = size_groups(images_dir, image_names) if params.single_camera else [image_names]
    for names in groups:
        pycolmap.extract_features(
            database,
            images_dir,
            image_names=names,
            camera_mode=camera_mode(params),
            reader_options=reader_options(params),
            extraction_options=extraction_options(params, threads),
            device=pycolmap.Device.auto,
        )
    with pycolmap.Database.open(database) as db:
        keypoints = int(db.num_keypoints())
        log.info("features_extracted", images=db.num_images(), cameras=db.num_cameras(), keypoints=keypoints)
    return keypoints


def size_groups(images_dir: Path, image_names: list[str]) -> list[list[str]]:
    """Image names grouped by pixel size (read from the headers), largest group first."""
    groups: dict[tuple[int, int], list[str]] = {}
    for name in image_names:
        with Image.open(images_dir / name) as image:
            groups.setdefault(image.size, []).append(name)
    return sorted(groups.values(), key=len, reverse=True)
