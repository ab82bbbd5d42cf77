"""Extraction step: SIFT features of the validated images into a fresh database (pycolmap child only)."""

from pathlib import Path

import pycolmap
import structlog
from PIL import Image

from spaceport.params import SfmParams
from spaceport_sfm.colmap_options import camera_mode, extraction_options, reader_options

log = structlog.get_logger(__name__)


def extract(
    database: Path,
    images_dir: Path,
    image_names: list[str],
    params: SfmParams,
    threads: int,
    masks_dir: Path | None = None,
) -> int:
    """Extract features of exactly `image_names` (stray files are never read); returns the keypoint total.
    Keypoints on a black pixel of an image's mask in `masks_dir` (`<name>.png`) are dropped by COLMAP.

    With one camera per job, COLMAP refuses every image whose size differs from the first one
    (CAMERA_SINGLE_DIM_ERROR, silently: no features), and photos of two phones of one resolution would share
    one focal length. So each camera (image size, and the EXIF make, model and focal length where the photo
    has them) gets its own: one extraction call per camera into the same database.
    """
    if database.exists():
        database.unlink()  # pycolmap silently skips images already in a database
    groups = camera_groups(images_dir, image_names) if params.single_camera else [image_names]
    for names in groups:
        pycolmap.extract_features(
            database,
            images_dir,
            image_names=names,
            camera_mode=camera_mode(params),
            reader_options=reader_options(params, masks_dir),
            extraction_options=extraction_options(params, threads),
            device=pycolmap.Device.auto,
        )
    with pycolmap.Database.open(database) as db:
        keypoints = int(db.num_keypoints())
        log.info("features_extracted", images=db.num_images(), cameras=db.num_cameras(), keypoints=keypoints)
    return keypoints


EXIF_MAKE, EXIF_MODEL, EXIF_IFD = 0x010F, 0x0110, 0x8769
EXIF_FOCAL_LENGTH, EXIF_FOCAL_35MM = 0x920A, 0xA405


def camera_key(image: Image.Image) -> tuple[object, ...]:
    """What tells one camera from another in a photo's header: pixel size, EXIF make, model, focal lengths."""
    exif = image.getexif()
    details = exif.get_ifd(EXIF_IFD)
    return (
        image.size,
        str(exif.get(EXIF_MAKE, "")).strip(),
        str(exif.get(EXIF_MODEL, "")).strip(),
        str(details.get(EXIF_FOCAL_LENGTH, "")),
        str(details.get(EXIF_FOCAL_35MM, "")),
    )


def camera_groups(images_dir: Path, image_names: list[str]) -> list[list[str]]:
    """Image names grouped by camera (`camera_key`, read from the headers), largest group first."""
    groups: dict[tuple[object, ...], list[str]] = {}
    for name in image_names:
        with Image.open(images_dir / name) as image:
            groups.setdefault(camera_key(image), []).append(name)
    return sorted(groups.values(), key=len, reverse=True)
