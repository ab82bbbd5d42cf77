"""Photo masks: which pixels of a photo SfM and training may use (COLMAP's convention).

A photo folder may hold a `masks/` folder; the mask of photo `name` (its path relative to the photo folder) is
`masks/<name>.png` (COLMAP's name, e.g. `masks/IMG_1.jpg.png`), or else `masks/<name without its suffix>.png`
(e.g. `masks/IMG_1.png`). A pixel whose mask value is 0 (black) is ignored; any other value keeps it, as COLMAP's
feature extractor reads it. A photo without a mask is used whole.

`read_mask` checks a mask against its photo: a file that is not a readable image, or whose size has another
aspect ratio than the photo's, is a `MaskError` naming both; a mask of the photo's aspect at another size (one
drawn on a downscaled copy) is resized to the photo, nearest-neighbour. Masks follow their photo exactly:
`downscale_mask` for training sizes (a pixel is kept only where every photo pixel under it is), and
`undistort_mask` samples the same pixel positions COLMAP's undistorter samples, nearest-neighbour.
"""

from pathlib import Path

import numpy as np
import structlog
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

log = structlog.get_logger(__name__)

MASKS_FOLDER = "masks"
"""The folder of masks inside a photo folder (and inside every copy of it in storage)."""
ASPECT_TOLERANCE_PX = 1.0
"""A mask of another size is resized when its aspect matches the photo's to within this many photo pixels."""

Mask = NDArray[np.bool_]  # [H, W], True = keep


class MaskError(ValueError):
    """A mask that cannot be used with its photo; the message names both."""


def mask_names(name: str) -> tuple[str, str]:
    """Where the mask of photo `name` may be, relative to the masks folder, in order of preference."""
    return f"{name}.png", Path(name).with_suffix(".png").as_posix()


def mask_file(masks_dir: Path, name: str) -> Path | None:
    """The mask of photo `name` in `masks_dir` (`<name>.png`, else `<name without suffix>.png`), or None."""
    for candidate in mask_names(name):
        if (masks_dir / candidate).is_file():
            return masks_dir / candidate
    return None


def is_mask_of_any(mask: Path, masks_dir: Path, names: set[str]) -> bool:
    """Whether the file `mask` in `masks_dir` names one of the photos `names` (either naming rule)."""
    rel = mask.relative_to(masks_dir).as_posix()
    if rel.endswith(".png") and rel[: -len(".png")] in names:
        return True
    stem = rel[: -len(".png")] if rel.endswith(".png") else rel
    return any(Path(n).with_suffix("").as_posix() == stem for n in names)


def _pixels(image: Image.Image) -> NDArray[np.generic]:
    """The mask's grey values (integer modes kept as they are, colour converted to luminance)."""
    if image.mode in ("1", "L", "I", "I;16", "I;16B", "I;16L", "F"):
        return np.asarray(image)
    return np.asarray(image.convert("L"))


def read_mask(path: Path, photo_name: str, photo_size: tuple[int, int]) -> Mask:
    """The mask at `path` for photo `photo_name` of `photo_size` (width, height), at the photo's size."""
    label = f"mask {path.name} of photo {photo_name}"
    try:
        with Image.open(path) as image:
            image.load()
            values = _pixels(image)
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise MaskError(f"{label} is not a readable image ({exc})") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise MaskError(f"{label} cannot be decoded ({exc})") from exc
    if values.ndim != 2:
        raise MaskError(f"{label} has {values.ndim} dimensions; a mask is one grey channel")
    keep = values != 0
    height, width = keep.shape
    if (width, height) == photo_size:
        return keep
    pw, ph = photo_size
    if abs(width * ph / height - pw) > ASPECT_TOLERANCE_PX * max(1.0, pw / width):
        turned = " (turned: draw masks on the photo as it is displayed)" if (height, width) == photo_size else ""
        raise MaskError(f"{label} is {width}x{height} px but the photo is {pw}x{ph} px{turned}")
    log.info("mask_resized", photo=photo_name, mask_size=(width, height), photo_size=photo_size)
    return resize_nearest(keep, photo_size)


def resize_nearest(mask: Mask, size: tuple[int, int]) -> Mask:
    """`mask` at `size` (width, height), each pixel from the nearest source pixel."""
    width, height = size
    rows = np.minimum(((np.arange(height) + 0.5) * mask.shape[0] / height).astype(np.int64), mask.shape[0] - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * mask.shape[1] / width).astype(np.int64), mask.shape[1] - 1)
    return mask[rows[:, None], cols[None, :]]


def downscale_mask(mask: Mask, size: tuple[int, int]) -> Mask:
    """`mask` at a training size (width, height): a pixel is kept only if every photo pixel it covers is."""
    if (mask.shape[1], mask.shape[0]) == size:
        return mask
    if size[0] > mask.shape[1] or size[1] > mask.shape[0]:
        return resize_nearest(mask, size)
    grey = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(grey.resize(size, Image.Resampling.BOX)) == 255


def write_mask(mask: Mask, path: Path) -> Path:
    """Save `mask` as an 8-bit PNG (0 ignore, 255 keep), COLMAP's format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask.astype(np.uint8) * 255).save(path)
    return path


def view_mask(images_dir: Path, name: str, photo_size: tuple[int, int], size: tuple[int, int]) -> Mask | None:
    """The mask of photo `name` in `images_dir/masks/` at training `size`; None when the photo has none."""
    path = mask_file(images_dir / MASKS_FOLDER, name)
    if path is None:
        return None
    return downscale_mask(read_mask(path, name, photo_size), size)
