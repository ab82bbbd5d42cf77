"""Cheap image-quality measures: sharpness (blur) and exposure, on a downscaled grey copy."""

import cv2
import numpy as np
from numpy.typing import NDArray

from spaceport_sfm.report import Exposure, ImageQuality

GreyImage = NDArray[np.uint8]  # [H, W]
ANALYSIS_SIDE = 1024
BLURRY_FRACTION_OF_MEDIAN = 0.35
"""An image is blurred when its sharpness is below this share of the set's median."""
DARK_LEVEL, BRIGHT_LEVEL = 10, 245


def downscaled_grey(rgb: NDArray[np.uint8], side: int = ANALYSIS_SIDE) -> GreyImage:
    """A grey copy of an [H, W, 3] RGB image, at most `side` px on its longest side."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    longest = max(grey.shape[:2])
    if longest <= side:
        return np.ascontiguousarray(grey)
    scale = side / longest
    size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)


def sharpness(grey: GreyImage) -> float:
    """Variance of the Laplacian: high for crisp detail, low for blur or featureless images."""
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def measure(grey: GreyImage) -> ImageQuality:
    """Sharpness and exposure figures of one grey image."""
    pixels = grey.size or 1
    return ImageQuality(
        sharpness=sharpness(grey),
        brightness=float(grey.mean() / 255.0) if grey.size else 0.0,
        dark_fraction=float(np.count_nonzero(grey < DARK_LEVEL) / pixels),
        bright_fraction=float(np.count_nonzero(grey > BRIGHT_LEVEL) / pixels),
    )


def blur_threshold(scores: list[float]) -> float:
    """The sharpness below which an image of this set counts as blurred."""
    return float(np.median(scores)) * BLURRY_FRACTION_OF_MEDIAN if scores else 0.0


def exposure(quality: ImageQuality) -> Exposure:
    """`dark`, `bright` or `ok`."""
    if quality.brightness < 0.12 or quality.dark_fraction > 0.5:
        return "dark"
    if quality.brightness > 0.88 or quality.bright_fraction > 0.4:
        return "bright"
    return "ok"
