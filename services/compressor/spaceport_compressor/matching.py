"""Pair decoded splats with their originals when the encoder's order is unknown (another tool's SOG)."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from spaceport_compressor.splats import SplatCloud

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Matching:
    """`index[i]` is the original row decoded row i came from; `unique` is False if two claimed one row."""

    index: I64
    unique: bool
    max_distance: float


def match_by_position(original: SplatCloud, decoded: SplatCloud) -> Matching:
    """Nearest original position for every decoded splat (SOG keeps positions to ~1e-5 of the extent)."""
    tree = cKDTree(original.means.astype(np.float64))
    distance, index = tree.query(decoded.means.astype(np.float64), k=1)
    index = np.asarray(index, dtype=np.int64)
    unique = np.unique(index).size == index.size
    return Matching(index=index, unique=bool(unique), max_distance=float(np.max(distance, initial=0.0)))
