"""Masks undistorted with their photos: the same pixel positions COLMAP's undistorter samples, nearest-neighbour.

COLMAP fills each pixel (x, y) of an undistorted photo from the distorted one at
`source.img_from_cam(target.cam_from_img((x + 0.5, y + 0.5)))`, bilinearly; a mask takes the nearest pixel
there instead, so it stays binary. Pixels that fall outside the photo are ignored.
"""

from pathlib import Path
from typing import Any

import numpy as np
import structlog

from spaceport_splats.masks import MASKS_FOLDER, Mask, mask_file, read_mask, write_mask

log = structlog.get_logger(__name__)


def warp_mask(mask: Mask, source: Any, target: Any) -> Mask:
    """`mask` (of pycolmap camera `source`'s photo) as seen by pycolmap camera `target`: [H, W] bool."""
    width, height = int(target.width), int(target.height)
    xs, ys = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    pixels = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)  # [N, 2]
    rays = np.asarray(target.cam_from_img(pixels), np.float64)  # [N, 2] on the plane z = 1
    found = np.asarray(source.img_from_cam(np.column_stack([rays, np.ones(len(rays))])), np.float64)  # [N, 2]
    cols, rows = np.floor(found[:, 0]), np.floor(found[:, 1])
    inside = np.isfinite(cols) & np.isfinite(rows)
    inside &= (cols >= 0) & (cols < mask.shape[1]) & (rows >= 0) & (rows < mask.shape[0])
    out = np.zeros(len(pixels), bool)
    out[inside] = mask[rows[inside].astype(np.int64), cols[inside].astype(np.int64)]
    return out.reshape(height, width)


def undistort_masks(model_dir: Path, images_dir: Path, undistorted_model_dir: Path, undistorted_images: Path) -> int:
    """Undistort the masks in `images_dir/masks/` of the photos undistorted into `undistorted_images`, into
    `undistorted_images/masks/`; returns how many. Cameras come from the two models."""
    masks_dir = images_dir / MASKS_FOLDER
    if not masks_dir.is_dir():
        return 0
    import pycolmap

    source, target = pycolmap.Reconstruction(model_dir), pycolmap.Reconstruction(undistorted_model_dir)
    originals = {image.name: image for image in source.images.values()}
    count = 0
    for image in target.images.values():
        path = mask_file(masks_dir, image.name)
        if path is None or image.name not in originals or not (undistorted_images / image.name).is_file():
            continue
        camera = source.cameras[originals[image.name].camera_id]
        mask = read_mask(path, image.name, (int(camera.width), int(camera.height)))
        warped = warp_mask(mask, camera, target.cameras[image.camera_id])
        write_mask(warped, undistorted_images / MASKS_FOLDER / f"{image.name}.png")
        count += 1
    log.info("masks_undistorted", masks=count)
    return count
