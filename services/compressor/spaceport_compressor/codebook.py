"""256-entry scalar codebooks (SOG's scales, sh0 and shN tables): optimal 1-D k-means on a fine histogram.

The objective is splat-transform's: bins placed by a blend of value and rank (more rank when outliers
stretch the range), each bin weighted by count**0.5 so sparse tails keep some levels, and levels chosen by
dynamic programming to minimise the weighted squared error. The difference is resolution: 4,096 bins
instead of 1,024, so the optimum is found among finer boundaries. With 1,024 bins this code reproduces
splat-transform's codebooks exactly; with 4,096, on four test scenes (8k to 100k splats, one a real trained
model), mean error is 1-3 % lower for scales and 1-2 % lower for colours, p99 error lower in 7 of 8 cases,
and the images within 0.6 % of the size.

The dynamic programme runs layer by layer (one more level each); within a layer the best start of the last
level is monotone in the bin, so each layer is a vectorised divide and conquer. One run gives the optimal
codebook for every number of levels up to the largest asked, which `fit_codebooks` returns together.
"""

import numpy as np
import numpy.typing as npt

CODEBOOK_SIZE = 256
HISTOGRAM_BINS = 4096
BIN_WEIGHT_EXPONENT = 0.5

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _histogram(ordered: F64) -> tuple[F64, F64]:
    """Bin means and counts; a value's bin blends its rank and its position in the range."""
    n = ordered.size
    bins = min(HISTOGRAM_BINS, n)
    span = float(ordered[-1] - ordered[0]) or 1.0
    iqr = float(ordered[(3 * n) // 4] - ordered[n // 4])
    beta = min(0.999, max(0.5, 1.0 - iqr / span))
    position = beta * np.arange(n) / n + (1.0 - beta) * (ordered - ordered[0]) / span
    which = np.minimum((position * bins).astype(np.int64), bins - 1)
    counts = np.bincount(which, minlength=bins).astype(np.float64)
    sums = np.bincount(which, weights=ordered, minlength=bins)
    keep = counts > 0
    return sums[keep] / counts[keep], counts[keep]


class _Prefix:
    """Prefix sums of weight, weight*x and weight*x^2: the cost and mean of any run of bins in O(1)."""

    def __init__(self, points: F64, weights: F64) -> None:
        self.w = np.concatenate([[0.0], np.cumsum(weights)])
        self.s = np.concatenate([[0.0], np.cumsum(weights * points)])
        self.q = np.concatenate([[0.0], np.cumsum(weights * points**2)])

    def cost(self, a: I64, b: I64) -> F64:
        """Weighted squared error of one level over bins a..b (inclusive)."""
        s = self.s[b + 1] - self.s[a]
        return (self.q[b + 1] - self.q[a]) - s * s / np.maximum(self.w[b + 1] - self.w[a], 1e-300)

    def mean(self, a: int, b: int) -> float:
        """The level for bins a..b."""
        return float((self.s[b + 1] - self.s[a]) / (self.w[b + 1] - self.w[a]))


def _layer(prev: F64, prefix: _Prefix, m: int) -> tuple[F64, I64]:
    """Best cost of bins 0..j with m+1 levels, and where the last level starts, for every j >= m."""
    h = prev.size
    cur, start = np.full(h, np.inf), np.zeros(h, dtype=np.int64)
    jlo, jhi, alo, ahi = (np.array([m]), np.array([h - 1]), np.array([m]), np.array([h - 1]))
    while jlo.size:
        mid = (jlo + jhi) // 2
        lengths = np.minimum(ahi, mid) - alo + 1
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        segment = np.repeat(np.arange(mid.size), lengths)
        a = alo[segment] + np.arange(lengths.sum()) - offsets[segment]
        values = prev[a - 1] + prefix.cost(a, mid[segment])
        best = np.minimum.reduceat(values, offsets)
        ties = np.flatnonzero(values <= best[segment])
        arg = a[ties[np.searchsorted(ties, offsets)]]
        cur[mid], start[mid] = best, arg
        left, right = mid - 1 >= jlo, mid + 1 <= jhi
        jlo, jhi = np.concatenate([jlo[left], mid[right] + 1]), np.concatenate([mid[left] - 1, jhi[right]])
        alo, ahi = np.concatenate([alo[left], arg[right]]), np.concatenate([arg[left], ahi[right]])
    return cur, start


def _optimal_levels(points: F64, weights: F64, options: tuple[int, ...]) -> dict[int, F64]:
    """For each k in `options`, the k levels minimising the weighted squared error of sorted `points`."""
    h = points.size
    prefix = _Prefix(points, weights)
    top = min(max(options), h)
    starts = np.zeros((top, h), dtype=np.int64)
    prev = prefix.cost(np.zeros(h, dtype=np.int64), np.arange(h))
    for m in range(1, top):
        prev, starts[m] = _layer(prev, prefix, m)
    books = {}
    for k in options:
        levels, end = [], h - 1
        for m in range(min(k, h) - 1, -1, -1):
            begin = int(starts[m][end]) if m else 0
            levels.append(prefix.mean(begin, end))
            end = begin - 1
        books[k] = np.array(levels[::-1])
    return books


def _pad(levels: npt.ArrayLike) -> F32:
    book = np.unique(np.asarray(levels, dtype=np.float32))
    return np.concatenate([book, np.full(CODEBOOK_SIZE - book.size, book[-1], dtype=np.float32)])


def fit_codebooks(values: npt.ArrayLike, options: tuple[int, ...]) -> dict[int, F32]:
    """Sorted 256-entry codebooks using at most k distinct values, for each k in `options` (one DP run)."""
    flat = np.sort(np.asarray(values, dtype=np.float64).ravel())
    if flat.size == 0:
        return {k: np.zeros(CODEBOOK_SIZE, dtype=np.float32) for k in options}
    distinct = np.unique(flat.astype(np.float32))
    if distinct.size <= min(options):
        return {k: _pad(distinct) for k in options}
    points, counts = _histogram(flat)
    levels = _optimal_levels(points, counts**BIN_WEIGHT_EXPONENT, options)
    return {k: _pad(distinct if distinct.size <= k else levels[k]) for k in options}


def fit_codebook(values: npt.ArrayLike, levels: int = CODEBOOK_SIZE) -> F32:
    """A sorted 256-entry float32 codebook using at most `levels` distinct values (padded with the last)."""
    return fit_codebooks(values, (levels,))[levels]


def encode(values: npt.ArrayLike, codebook: F32) -> npt.NDArray[np.uint8]:
    """The index of the nearest codebook entry for each value (ties to the lower entry)."""
    book = codebook.astype(np.float64)
    mids = (book[1:] + book[:-1]) / 2
    index = np.searchsorted(mids, np.asarray(values, dtype=np.float64), side="left")
    return index.astype(np.uint8)


def decode(index: npt.NDArray[np.uint8], codebook: F32) -> F32:
    """Codebook values for indices."""
    return codebook[index]
