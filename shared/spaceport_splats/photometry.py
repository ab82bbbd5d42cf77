"""Do a capture's photos agree on colour? Measured from SfM's tracks before any training.

Each 3D point of the sparse model was seen by several photos. Its colour in each photo (sampled at the keypoint
that observed it, on a downscaled copy, so a few pixels around it are averaged) against its median colour over
those photos gives one sample of that photo's exposure and white balance. A photo's per-channel gain is the median
ratio over its points; the spread is the RMS of the photos' log gains about their mean. Photos of one exposure
spread little (view-dependent shine and keypoint noise only); auto exposure and white balance, a cloud or
another phone spread more. The trainer's `appearance=auto` decides from this before training
(`spaceport_trainer.appearance`), instead of from transforms half-learnt against a model still far off.

Measured (2-vCPU VM): the plain demo capture 0.003; fox 0.20 (a real drift: photos 0074-0085 up to +0.35 in
blue's log gain, the rest within +-0.15); sceaux_castle 0.19; the exposure-jitter capture (+-0.8 stops, +-0.2
white balance) 0.60. The trainer's threshold (`appearance_colour_spread`, 0.3) leaves fox and castle to the
splats' view-dependent colour, which scored their raw held-out views higher than transforms did at `preview`
(fox 25.6 against 23.8 dB, castle 14.9 against 13.8 dB, colour-fitted 25.9 and 16.3 dB), and compensates
captures whose photos stray as far as auto exposure makes them.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog
from numpy.typing import NDArray
from PIL import Image

log = structlog.get_logger(__name__)

SAMPLE_SIDE = 512
"""Photos are read at about this long side (JPEG draft decoding: fast, and each sample averages a few pixels)."""
USABLE = (0.08, 0.92)
"""Median colours outside this range (of 1) are too dark for a ratio or may be clipped: not used."""
CLIPPED = 0.98
"""A photo's sample with a channel above this (or below 1 - this) may be clipped: not used for that photo."""
SOLVER_ROUNDS = 20
MIN_POINTS = 30
"""A photo needs this many usable points for a gain."""


@dataclass(frozen=True)
class ColourAgreement:
    """Per-photo gains (photo name -> [3], mean log gain removed) and their spread (RMS of the log gains)."""

    gains: dict[str, NDArray[np.float64]]
    spread: float

    @property
    def measured(self) -> bool:
        """Whether enough photos shared enough points for a spread."""
        return len(self.gains) >= 3


def _sample(path: Path, points: NDArray[np.float64], size: tuple[int, int]) -> NDArray[np.float64]:
    """The photo's colours (0..1) at keypoints given at its full size (`size`, as SfM saw it): [N, 3]."""
    with Image.open(path) as image:
        image.draft("RGB", (SAMPLE_SIDE, SAMPLE_SIDE))
        rgb = np.asarray(image.convert("RGB"), np.float64) / 255.0  # as the trainer reads it (`load_image`)
    h, w = rgb.shape[:2]
    x = np.clip((points[:, 0] * w / size[0]).astype(int), 0, w - 1)
    y = np.clip((points[:, 1] * h / size[1]).astype(int), 0, h - 1)
    return rgb[y, x]


def colour_agreement(model_dir: Path, images_dir: Path, names: list[str] | None = None) -> ColourAgreement:
    """Measure the photos' colour agreement from the sparse model at `model_dir` and the photos it was made from
    (`names`: only these photos, e.g. the training ones)."""
    import pycolmap

    rec = pycolmap.Reconstruction(str(model_dir))
    wanted = set(names) if names is not None else None
    colours: dict[int, list[tuple[str, NDArray[np.float64]]]] = {}
    for image in rec.images.values():
        if not image.has_pose or (wanted is not None and image.name not in wanted):
            continue
        observed = [(p.xy, p.point3D_id) for p in image.points2D if p.has_point3D()]
        if len(observed) < MIN_POINTS or not (images_dir / image.name).is_file():
            continue
        camera = rec.cameras[image.camera_id]
        xy = np.array([o[0] for o in observed], np.float64)
        sampled = _sample(images_dir / image.name, xy, (int(camera.width), int(camera.height)))
        for (_, point_id), colour in zip(observed, sampled, strict=True):
            colours.setdefault(int(point_id), []).append((image.name, colour))
    return _solve_gains(colours)


def _solve_gains(colours: dict[int, list[tuple[str, NDArray[np.float64]]]]) -> ColourAgreement:
    """Per-photo gains from each point's colour in each photo that saw it: `log c = log g_photo + log a_point`,
    solved by alternating (a point's colour: the mean over its photos; a photo's gain: the median over its
    points, robust to shine and occlusion), the photos' mean log gain pinned to zero."""
    point_ids: list[int] = []
    photo_ids: list[int] = []
    samples: list[NDArray[np.float64]] = []
    names: dict[str, int] = {}
    for seen in colours.values():
        kept = [(n, c) for n, c in seen if c.max() < CLIPPED and c.min() > 1.0 - CLIPPED]
        if len(kept) < 2:
            continue
        mean = np.mean([c for _, c in kept], axis=0)
        if mean.min() < USABLE[0] or mean.max() > USABLE[1]:
            continue
        next_point = point_ids[-1] + 1 if point_ids else 0
        for name, colour in kept:
            point_ids.append(next_point)
            photo_ids.append(names.setdefault(name, len(names)))
            samples.append(np.log(colour))
    if not samples:
        return ColourAgreement({}, 0.0)
    point, photo, logs = np.array(point_ids), np.array(photo_ids), np.stack(samples)  # [N], [N], [N, 3]
    measured = np.bincount(photo, minlength=len(names)) >= MIN_POINTS  # [photos]: enough points for a gain
    if measured.sum() < 3:
        return ColourAgreement({}, 0.0)
    per_photo = [np.flatnonzero(photo == k) for k in range(len(names))]  # every photo has a sample
    per_point = np.bincount(point)
    gains = np.zeros((len(names), 3))
    for _ in range(SOLVER_ROUNDS):
        residual = logs - gains[photo]
        colour = np.stack([np.bincount(point, residual[:, c]) for c in range(3)], axis=1) / per_point[:, None]
        offsets = logs - colour[point]
        gains = np.stack([np.median(offsets[rows], axis=0) for rows in per_photo])
        gains -= gains[measured].mean(axis=0)  # the gauge: the measured photos' mean log gain is zero
    measured_gains = gains[measured]
    spread = float(np.sqrt((measured_gains**2).sum(axis=1).mean()))
    ordered = [name for name, k in names.items() if measured[k]]  # `names` holds indices in insertion order
    return ColourAgreement({n: np.exp(g) for n, g in zip(ordered, measured_gains, strict=True)}, spread)
