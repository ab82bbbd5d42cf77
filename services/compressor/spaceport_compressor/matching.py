"""Pair decoded splats with their originals when the encoder's order is unknown (another tool's SOG).

Positions alone are not enough on real models: SfM-initialised splats can sit closer together than the
16-bit position step. So each decoded splat takes, among its 8 nearest originals by position, the one whose
other attributes (colour, log-scale, opacity, rotation) are closest; an original claimed twice goes to the
closer claim, and the others retry among their remaining candidates.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from spaceport_compressor.splats import SplatCloud

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
CANDIDATES = 8


@dataclass(frozen=True)
class Matching:
    """`index[i]` is the original row decoded row i came from; `unique` is False if two claimed one row."""

    index: I64
    unique: bool
    max_distance: float


def _features(splats: SplatCloud) -> F64:
    """Attributes quantised independently of position, scaled to comparable units."""
    alpha = 1.0 / (1.0 + np.exp(-splats.opacity.astype(np.float64)))
    return np.concatenate([splats.f_dc * 0.28, splats.log_scales, alpha[:, None] * 4.0], axis=1)


def _unit_quats(splats: SplatCloud) -> F64:
    q = splats.quats.astype(np.float64)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def _costs(original: SplatCloud, decoded: SplatCloud) -> tuple[F64, I64, F64]:
    """Candidate originals [N, K] by position, best first, with their position distances and total costs."""
    k = min(CANDIDATES, original.count)
    distance, index = cKDTree(original.means.astype(np.float64)).query(decoded.means.astype(np.float64), k=k)
    distance, index = distance.reshape(decoded.count, k), index.reshape(decoded.count, k).astype(np.int64)
    extent = float(np.ptp(original.means, axis=0).max()) or 1.0
    mismatch = np.abs(_features(original)[index] - _features(decoded)[:, None, :]).sum(axis=2)
    turn = 1.0 - np.abs((_unit_quats(original)[index] * _unit_quats(decoded)[:, None, :]).sum(axis=2))
    cost = distance / extent * 1e3 + mismatch + 10.0 * turn
    preference = np.argsort(cost, axis=1, kind="stable")  # each row's candidates, best first
    pick = lambda a: np.take_along_axis(a, preference, axis=1)  # noqa: E731
    return pick(distance), pick(index), pick(cost)


def match_by_position(original: SplatCloud, decoded: SplatCloud) -> Matching:
    """The original row of every decoded splat, by position first and the other attributes second."""
    distance, index, cost = _costs(original, decoded)
    choice = np.zeros(decoded.count, dtype=np.int64)
    taken = np.full(original.count, -1, dtype=np.int64)
    pending = np.arange(decoded.count)
    for _ in range(index.shape[1]):
        if pending.size == 0:
            break
        rows = pending[np.argsort(cost[pending, choice[pending]], kind="stable")]
        want = index[rows, choice[rows]]
        first = np.unique(want, return_index=True)[1]
        winners = rows[first][taken[want[first]] < 0]
        taken[index[winners, choice[winners]]] = winners
        pending = np.setdiff1d(pending, winners)
        choice[pending] = np.minimum(choice[pending] + 1, index.shape[1] - 1)
    final = index[np.arange(decoded.count), choice]
    unique = pending.size == 0
    return Matching(
        index=final,
        unique=bool(unique),
        max_distance=float(distance[np.arange(decoded.count), choice].max(initial=0.0)),
    )
