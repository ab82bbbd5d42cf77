"""Candidate pair lists for COLMAP's imported-pairs matcher: look-alikes, neighbours in order, loop closures.

Images are indices into one list; a pair is `(i, j)` with `i < j`. Every builder bounds the pairs per image
(`neighbours` look-alikes, `overlap` plus about log2(count) sequential ones), so matching grows linearly in the
number of images. Similarities are computed a block of rows at a time: memory stays bounded by the block, not
by the square of the image count.
"""

import numpy as np
from numpy.typing import NDArray

IndexPair = tuple[int, int]
Histograms = NDArray[np.float32]  # [images, words], L2-normalised rows
SIMILARITY_BLOCK = 1024
"""Rows of the image-by-image similarity held at once."""


def ordered(i: int, j: int) -> IndexPair:
    """The pair with the smaller index first."""
    return (i, j) if i < j else (j, i)


def similar_pairs(histograms: Histograms, neighbours: int, min_gap: int = 0) -> set[IndexPair]:
    """Each image with its `neighbours` most similar images among those more than `min_gap` places away."""
    count = len(histograms)
    pairs: set[IndexPair] = set()
    if count < 2 or neighbours < 1:
        return pairs
    positions = np.arange(count)
    for start in range(0, count, SIMILARITY_BLOCK):
        rows = positions[start : start + SIMILARITY_BLOCK]
        similarity = histograms[rows] @ histograms.T  # [block, images]
        too_close = np.abs(rows[:, None] - positions[None, :]) <= min_gap  # includes the image itself
        similarity[too_close] = -np.inf
        allowed = int(np.count_nonzero(~too_close[0])) if len(rows) else 0
        k = min(neighbours, count - 1, max(allowed, 0))
        if k < 1:
            continue
        best = np.argpartition(-similarity, k - 1, axis=1)[:, :k]  # [block, k], unordered
        for row, picks in zip(rows.tolist(), best.tolist(), strict=True):
            pairs.update(ordered(row, j) for j in picks if np.isfinite(similarity[row - start, j]))
    return pairs


def sequential_pairs(count: int, overlap: int, quadratic: bool = True) -> set[IndexPair]:
    """COLMAP's sequential pairing: each image with the next `overlap` ones and, if `quadratic`, with the ones
    2, 4, ..., 2**(overlap-1) places on."""
    pairs: set[IndexPair] = set()
    for i in range(count):
        steps = list(range(1, overlap + 1))
        if quadratic:
            steps += [1 << k for k in range(overlap) if (1 << k) < count]
        pairs.update((i, i + step) for step in steps if i + step < count)
    return pairs


def pairs_per_image(pairs: set[IndexPair], count: int) -> float:
    """Mean number of pairs each image takes part in."""
    return 2.0 * len(pairs) / count if count else 0.0
