"""Precision a splat does not need, and splats not needed at all.

SOG's fields have fixed widths (16-bit positions, 8-bit smallest-three rotations), so the format cannot spend
fewer bits on a splat; but a code rounded to a multiple of 2**k has k zero low bits, and WebP's entropy coder
then spends fewer bits on it. How much a splat tolerates follows from its own size:
- position: the error per axis stays within `tolerance` times the splat's middle scale (a splat moved by a
  small fraction of its width changes few pixels);
- rotation: turning an ellipsoid by an angle moves its surface by about the angle times the spread of its
  axes (largest minus smallest scale), so a near-round splat may be turned a lot; the move stays within
  `tolerance` times the middle scale.
Splats below a minimum opacity may also be left out. The held-out PSNR of the decoded model judges all three
(benchmarks/compressor/RESULTS.md).
"""

import numpy as np
import numpy.typing as npt

from spaceport_compressor.quantize import decode_positions, decode_quats, encode_quats, round_to_multiple
from spaceport_compressor.splats import InvalidSplats, SplatCloud

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]

MAX_POSITION_SHIFT = 10
"""At most the 10 low bits of a 16-bit position code are given up (the low byte and two of the high)."""
MAX_ROTATION_SHIFT = 6
"""At most 6 of a rotation byte's 8 bits are given up (4 levels per component)."""
QUAT_STEP_RAD = 2.0 / 255.0 / np.sqrt(2.0) * np.sqrt(3.0)
"""|delta q| of one code step on all three kept components."""


def kept_splats(splats: SplatCloud, min_opacity: float) -> I64:
    """Indices of the splats at least `min_opacity` opaque (sigmoid of the logit); all when it is 0.

    At INVISIBLE_OPACITY these are exactly the splats whose opacity byte is at least 1, for float32 logits."""
    if min_opacity <= 0:
        return np.arange(splats.count, dtype=np.int64)
    logit = np.log(min_opacity / (1.0 - min_opacity))
    kept = np.flatnonzero(splats.opacity.astype(np.float64) >= logit).astype(np.int64)
    if kept.size == 0:
        raise InvalidSplats(f"no splat is at least {min_opacity} opaque (min_opacity)", "no_splats")
    return kept


def middle_scale(log_scales: npt.ArrayLike) -> F64:
    """Each splat's middle axis scale (linear)."""
    return np.exp(np.median(np.asarray(log_scales, dtype=np.float64), axis=1))


def _shift(allowed: F64, step: F64, most: int) -> I64:
    """The largest k with 2**(k-1) * step <= allowed (k = 0: exact), capped at `most`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.floor(1.0 + np.log2(allowed / step))
    return np.clip(np.nan_to_num(k, nan=0.0, neginf=0.0, posinf=most), 0, most).astype(np.int64)


def coarsen_positions(
    q: U16, means: npt.ArrayLike, mins: npt.ArrayLike, maxs: npt.ArrayLike, log_scales: npt.ArrayLike, tolerance: float
) -> U16:
    """Position codes [N, 3] rounded as far as each splat tolerates (`tolerance` 0 keeps them)."""
    if tolerance <= 0:
        return q
    v = np.asarray(means, dtype=np.float64)
    span = np.asarray(maxs, dtype=np.float64) - np.asarray(mins, dtype=np.float64)
    span = np.where(span > 0, span, 1.0)
    # d(position)/d(code): the log companding stretches a code step by 1 + |v|.
    step = span / 65535.0 * (1.0 + np.abs(v))
    allowed = tolerance * middle_scale(log_scales)[:, None]
    shift = _shift(allowed, step, MAX_POSITION_SHIFT)
    exact = np.abs(decode_positions(mins, maxs, q) - v)
    while True:  # the step grows with |v| inside a coarse step too: back off where the linear estimate was short
        coarse = round_to_multiple(q, shift, 65535)
        error = np.abs(decode_positions(mins, maxs, coarse).astype(np.float64) - v)
        over = (error > allowed + exact) & (shift > 0)
        if not over.any():
            return coarse.astype(np.uint16)
        shift = np.where(over, shift - 1, shift)


def _rotation_budget(log_scales: npt.ArrayLike, tolerance: float) -> F64:
    """The rotation error (radians) each splat tolerates: tolerance x middle scale / axis spread."""
    scales = np.exp(np.asarray(log_scales, dtype=np.float64))
    spread = scales.max(1) - scales.min(1)
    with np.errstate(divide="ignore"):
        return np.where(spread > 0, tolerance * middle_scale(log_scales) / spread, np.inf)


def encode_rotations(quats: F32, log_scales: npt.ArrayLike, tolerance: float) -> tuple[U8, U8]:
    """Smallest-three bytes and tags, each splat's bytes as coarse as its rotation budget allows."""
    if tolerance <= 0:
        return encode_quats(quats)
    budget = _rotation_budget(log_scales, tolerance)
    # |delta q| <= 2 * sqrt(3) * half a step (the dropped component moves too), the angle is 2 * |delta q|.
    shift = _shift(budget, np.full(budget.shape, 2.0 * QUAT_STEP_RAD), MAX_ROTATION_SHIFT)
    exact = rotation_error_rad(quats, *encode_quats(quats))
    while True:  # back off where the bound was short
        abc, tag = encode_quats(quats, shift)
        over = (rotation_error_rad(quats, abc, tag) > budget + exact) & (shift > 0)
        if not over.any():
            return abc, tag
        shift = np.where(over, shift - 1, shift)


def rotation_error_rad(quats: F32, abc: U8, tag: U8) -> F64:
    """Angle (radians) between each rotation and its decoded code."""
    q = np.asarray(quats, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    dot = np.abs((q * decode_quats(abc, tag).astype(np.float64)).sum(1))
    return 2.0 * np.arccos(np.clip(dot, 0.0, 1.0))
