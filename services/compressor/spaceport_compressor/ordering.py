"""Splat orderings for the textures: neighbours in the image should be alike so WebP's predictors pay."""

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def _spread_bits(v: npt.NDArray[np.integer]) -> U64:
    """Put bit k of a 21-bit value at bit 3k."""
    x = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    x = (x | (x << np.uint64(32))) & np.uint64(0x1F00000000FFFF)
    x = (x | (x << np.uint64(16))) & np.uint64(0x1F0000FF0000FF)
    x = (x | (x << np.uint64(8))) & np.uint64(0x100F00F00F00F00F)
    x = (x | (x << np.uint64(4))) & np.uint64(0x10C30C30C30C30C3)
    x = (x | (x << np.uint64(2))) & np.uint64(0x1249249249249249)
    return x


def morton_codes(cells: npt.NDArray[np.integer]) -> U64:
    """Z-order codes of integer cells [N, 3] (up to 21 bits per axis; x in the lowest bit)."""
    return (
        _spread_bits(cells[:, 0])
        | (_spread_bits(cells[:, 1]) << np.uint64(1))
        | (_spread_bits(cells[:, 2]) << np.uint64(2))
    )


def morton_order(cells: npt.NDArray[np.integer]) -> I64:
    """A stable Z-order permutation of integer cells [N, 3] (SOG stores 16-bit log-space position codes)."""
    return np.argsort(morton_codes(cells), kind="stable").astype(np.int64)
