"""The shN palette: seeded mini-batch k-means over per-splat SH vectors, then labels for every splat."""

from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt

from spaceport.params.compressor import MAX_PALETTE_SIZE
from spaceport_compressor.nearest import (
    InvertedFileSearch,
    Searcher,
    nearest_exact,
    nearest_torch,
    torch_device,
)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

MIN_AUTO_PALETTE = 1024
AUTO_SPLATS_PER_ENTRY = 20
"""On 100k synthetic splats the SH error falls slowly with the palette (N/32: 0.237, N/16: 0.225, N/12: 0.218
relative RMS) while its bytes grow in proportion; one entry per 20 splats keeps the SH part near 3 B/splat."""
BATCH_SIZE = 1 << 15
"""Rows per k-means step (at least 4 per centroid). On 100k splats, 6,250 entries: 10 mini-batch steps reach
the error of 6 full Lloyd steps within 0.5 %, at half the CPU time."""
CONVERGED_SHARE = 0.002
"""Full-batch Lloyd stops once fewer than 0.2 % of the rows change centroid."""
EXACT_SEARCH_WORK = 2e10
"""Above this many multiply-adds per assignment, a CPU run switches to the inverted-file search."""


@dataclass(frozen=True)
class Palette:
    """Centroids and each splat's centroid index."""

    centroids: F32  # [P, D]
    labels: I64  # [N]
    backend: str


def auto_palette_size(count: int) -> int:
    """Palette entries for `count` splats when none is requested: one per 20 splats, 1,024 to 65,536."""
    return int(min(MAX_PALETTE_SIZE, max(MIN_AUTO_PALETTE, count // AUTO_SPLATS_PER_ENTRY)))


def choose_searcher(n: int, size: int, dims: int, seed: int) -> tuple[Searcher, str]:
    """GPU brute force when torch sees a GPU; else exact BLAS, or inverted files when that would be slow."""
    device = torch_device()
    if device is not None:
        return partial(nearest_torch, device=device), f"torch-{device}"
    if float(n) * size * dims > EXACT_SEARCH_WORK:
        return InvertedFileSearch(seed=seed), "numpy-ivf"
    return nearest_exact, "numpy-exact"


HASH_ROWS = 1 << 16
"""Rows hashed at once: the 64-bit products of a block (rows x D x 8 bytes) stay small (3M SH3 rows at once: 2 GB)."""


def _distinct(x: F32) -> tuple[F32, I64]:
    """Distinct rows and each row's index among them, found through a 64-bit hash of the row's bits."""
    multipliers = np.random.default_rng(0x5EED).integers(1, 2**63, x.shape[1], dtype=np.uint64) | np.uint64(1)
    bits = np.ascontiguousarray(x).view(np.uint32)
    hashes = np.empty(x.shape[0], dtype=np.uint64)
    for start in range(0, x.shape[0], HASH_ROWS):
        block = bits[start : start + HASH_ROWS].astype(np.uint64)
        hashes[start : start + HASH_ROWS] = (block * multipliers).sum(axis=1)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    return x[first], inverse.reshape(-1).astype(np.int64)


def _member_sums(
    x: F32, labels: I64, size: int, weights: npt.NDArray[np.float64] | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per centroid: the (weighted) sum of its rows and their (weighted) count."""
    counts = np.bincount(labels, weights=weights, minlength=size).astype(np.float64)
    sums = np.empty((size, x.shape[1]))
    for d in range(x.shape[1]):
        sums[:, d] = np.bincount(labels, weights=x[:, d] if weights is None else x[:, d] * weights, minlength=size)
    return sums, counts


def fit_palette(
    x: F32,
    size: int,
    iterations: int,
    seed: int,
    searcher: Searcher | None = None,
    batch_size: int | None = None,
    weights: npt.ArrayLike | None = None,
) -> Palette:
    """Cluster rows of `x` [N, D] into at most `size` centroids; unused centroids are dropped.

    Each step assigns a random batch of `batch_size` rows (default: max(BATCH_SIZE, 4 * size); all rows when N
    is smaller, which makes it plain Lloyd, stopped early once the labels settle), then a final pass labels
    every row, sets each centroid to the mean of its rows, and labels every row again. With `weights` [N]
    (>= 0) the objective is the weighted squared error: batches draw rows in proportion to their weight,
    and the seeds and the final means are weighted too.
    """
    batch_size = batch_size or max(BATCH_SIZE, 4 * size)
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    distinct, inverse = _distinct(x)
    if distinct.shape[0] <= size:
        return Palette(distinct, inverse, "distinct")
    backend = "given"
    if searcher is None:
        searcher, backend = choose_searcher(n, size, x.shape[1], seed)
    rng = np.random.default_rng(seed)
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    centroids = _seeds(distinct, inverse, size, w, rng)
    seen = np.zeros(size)
    labels, full = None, n <= batch_size
    for _ in range(iterations):
        batch = x if full else x[_batch_rows(n, batch_size, w, rng)]
        previous, labels = labels, searcher(batch, centroids.astype(np.float32))
        if full and previous is not None and np.mean(previous != labels) < CONVERGED_SHARE:
            break
        sums, counts = _member_sums(batch, labels, size, w if full else None)
        hit = counts > 0
        if full:
            seen[:] = 0.0  # the whole set in every step: plain Lloyd
        seen[hit] += counts[hit]
        # Mini-batch step (Sculley 2010): a centroid moves toward its batch mean at rate batch count / seen.
        centroids[hit] += (sums[hit] - counts[hit, None] * centroids[hit]) / seen[hit, None]
        _reseed_empty(centroids, seen, batch, rng)
    # Final pass over every row: label, move each used centroid to its members' mean, label again.
    if not full or labels is None:
        labels = searcher(x, centroids.astype(np.float32))
    sums, counts = _member_sums(x, labels, size, w)
    used = np.flatnonzero(counts > 0)
    final = (sums[used] / counts[used, None]).astype(np.float32)
    return Palette(final, searcher(x, final), backend)


def _seeds(distinct: F32, inverse: I64, size: int, weights: F64 | None, rng: np.random.Generator) -> F64:
    """`size` distinct rows to start from: uniformly, or drawn in proportion to their total weight."""
    if weights is None:
        return distinct[rng.choice(distinct.shape[0], size, replace=False)].astype(np.float64)
    mass = np.bincount(inverse, weights=weights, minlength=distinct.shape[0]) + 1e-12
    return distinct[rng.choice(distinct.shape[0], size, replace=False, p=mass / mass.sum())].astype(np.float64)


def _batch_rows(n: int, batch_size: int, weights: F64 | None, rng: np.random.Generator) -> I64:
    """A mini-batch: distinct rows uniformly, or rows drawn with replacement in proportion to their weight."""
    if weights is None:
        return np.sort(rng.choice(n, batch_size, replace=False))
    return np.sort(rng.choice(n, batch_size, replace=True, p=weights / weights.sum()))


def _reseed_empty(
    centroids: npt.NDArray[np.float64], seen: npt.NDArray[np.float64], batch: F32, rng: np.random.Generator
) -> None:
    """Centroids no point has chosen yet restart at random batch points."""
    empty = np.flatnonzero(seen == 0)
    if empty.size:
        centroids[empty] = batch[rng.choice(batch.shape[0], empty.size, replace=empty.size > batch.shape[0])]
