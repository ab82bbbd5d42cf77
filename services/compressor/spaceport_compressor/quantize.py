"""SOG v2's fixed quantisers for positions, rotations and opacity: encode (rounded) and decode."""

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]

SQRT2 = float(np.sqrt(2.0))
QUAT_TAG_BASE = 252
KEPT_COMPONENTS = np.array([[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
CORNERS = np.array(list(itertools.product((False, True), repeat=3)))  # [8, 3]: floor or ceil per component


def log_transform(v: npt.ArrayLike) -> F64:
    """SOG's position companding: sign(v) * ln(1 + |v|)."""
    x = np.asarray(v, dtype=np.float64)
    return np.sign(x) * np.log1p(np.abs(x))


def inverse_log_transform(logs: npt.ArrayLike) -> F64:
    """Inverse of `log_transform`."""
    x = np.asarray(logs, dtype=np.float64)
    return np.sign(x) * np.expm1(np.abs(x))


@dataclass(frozen=True)
class PositionCode:
    """16-bit positions: per-axis bounds in log space and the quantised values."""

    mins: tuple[float, float, float]
    maxs: tuple[float, float, float]
    q: U16  # [N, 3]


def encode_positions(means: F32) -> PositionCode:
    """Round log-space positions onto 65,536 levels between float32-exact per-axis bounds."""
    logs = log_transform(means)
    lo = np.nextafter(logs.min(0).astype(np.float32), np.float32(-np.inf))
    hi = np.nextafter(logs.max(0).astype(np.float32), np.float32(np.inf))
    span = np.where(hi > lo, hi.astype(np.float64) - lo, 1.0)
    q = np.clip(np.rint((logs - lo.astype(np.float64)) / span * 65535.0), 0, 65535).astype(np.uint16)
    (lx, ly, lz), (hx, hy, hz) = (float(x) for x in lo), (float(x) for x in hi)
    return PositionCode((lx, ly, lz), (hx, hy, hz), q)


def decode_positions(mins: npt.ArrayLike, maxs: npt.ArrayLike, q: npt.NDArray[np.integer]) -> F32:
    """Positions from 16-bit codes (a zero span counts as 1, as in PlayCanvas's readers)."""
    lo = np.asarray(mins, dtype=np.float64)
    span = np.asarray(maxs, dtype=np.float64) - lo
    span = np.where(span == 0, 1.0, span)
    return inverse_log_transform(lo + span * (q.astype(np.float64) / 65535.0)).astype(np.float32)


def _unit(quats: npt.ArrayLike) -> F64:
    q = np.asarray(quats, dtype=np.float64)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def decode_quats(abc: U8, tag: U8) -> F32:
    """Unit quaternions (w, x, y, z) from smallest-three bytes and the 252+index tag."""
    return _decode_quats(abc, tag).astype(np.float32)


def _decode_quats(abc: U8, tag: U8) -> F64:
    kept = (abc.astype(np.float64) / 255.0 * 2.0 - 1.0) / SQRT2
    dropped = np.sqrt(np.maximum(0.0, 1.0 - (kept**2).sum(1)))
    m = tag.astype(np.int64) - QUAT_TAG_BASE
    valid = (m >= 0) & (m <= 3)
    m = np.where(valid, m, 0)
    out = np.zeros((abc.shape[0], 4))
    rows = np.arange(abc.shape[0])[:, None]
    out[rows, KEPT_COMPONENTS[m]] = kept
    out[rows[:, 0], m] = dropped
    out[~valid] = (1.0, 0.0, 0.0, 0.0)
    return out


def round_to_multiple(code: npt.NDArray[np.integer], shift: npt.NDArray[np.int64], top: int) -> npt.NDArray[np.int64]:
    """Codes rounded to the nearest multiple of 2**shift; one past `top` falls back a multiple."""
    unit = np.left_shift(1, shift)
    rounded = np.rint(code.astype(np.float64) / unit).astype(np.int64) * unit
    return np.where(rounded > top, rounded - unit, rounded)


def encode_quats(quats: F32, shift: npt.NDArray[np.int64] | None = None) -> tuple[U8, U8]:
    """Smallest-three bytes [N, 3] and tags [N]: of the 8 floor/ceil codes, the one decoding closest to q;
    splats with a `shift` > 0 get their bytes rounded to multiples of 2**shift instead (see `precision`)."""
    q = _unit(quats)
    m = np.argmax(np.abs(q), axis=1)
    rows = np.arange(q.shape[0])
    q *= np.where(q[rows, m] < 0, -1.0, 1.0)[:, None]
    kept = q[rows[:, None], KEPT_COMPONENTS[m]]  # [N, 3]
    dropped = q[rows, m]  # [N], >= 0
    exact = (kept * SQRT2 * 0.5 + 0.5) * 255.0
    low = np.clip(np.floor(exact), 0, 255)
    high = np.clip(low + 1, 0, 255)
    best, best_dot = low, np.full(q.shape[0], -1.0)
    for pick in CORNERS:
        code = np.where(pick, high, low)
        values = (code / 255.0 * 2.0 - 1.0) / SQRT2
        rest = np.sqrt(np.maximum(0.0, 1.0 - (values**2).sum(1)))
        dot = np.abs((values * kept).sum(1) + rest * dropped)
        better = dot > best_dot
        best = np.where(better[:, None], code, best)
        best_dot = np.where(better, dot, best_dot)
    if shift is not None:
        best = np.where((shift > 0)[:, None], round_to_multiple(np.clip(exact, 0.0, 255.0), shift[:, None], 255), best)
    return best.astype(np.uint8), (m + QUAT_TAG_BASE).astype(np.uint8)


def encode_opacity(logits: F32) -> U8:
    """Opacity byte: sigmoid(logit) * 255, rounded."""
    alpha = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
    return np.clip(np.rint(alpha * 255.0), 0, 255).astype(np.uint8)


def decode_opacity(byte: U8) -> F32:
    """Opacity logits from bytes, clamped as splat-transform does (1e-6 .. 1 - 1e-6)."""
    alpha = np.clip(byte.astype(np.float64) / 255.0, 1e-6, 1.0 - 1e-6)
    return np.log(alpha / (1.0 - alpha)).astype(np.float32)
