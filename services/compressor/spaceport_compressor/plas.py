"""A self-organising texel order after PLAS (Morgenstern et al. 2023): neighbours in the grid become alike.

Starting from the Z-order, repeatedly blur the grid of per-splat features, split it into blocks, draw random
groups of four cells in each block and give each group the permutation (of 24) closest to the blurred target.
The blur radius shrinks from half the grid to one cell, so the order goes from coarse to fine.
"""

import itertools

import numpy as np
import numpy.typing as npt
from scipy.ndimage import uniform_filter

from spaceport_compressor.quantize import log_transform
from spaceport_compressor.splats import SplatCloud

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

PERMUTATIONS = np.array(list(itertools.permutations(range(4))), dtype=np.int64)  # [24, 4]
RADIUS_DECAY = 0.9
PASSES_PER_RADIUS = 2
FEATURE_WEIGHTS = {"position": 1.0, "scale": 0.6, "colour": 0.6, "opacity": 0.3, "rotation": 0.3}


def _standardise(x: npt.NDArray[np.floating], weight: float) -> F32:
    x = np.asarray(x, dtype=np.float64)
    std = x.std(0)
    return ((x - x.mean(0)) / np.where(std > 0, std, 1.0) * weight / np.sqrt(x.shape[1])).astype(np.float32)


def sort_features(splats: SplatCloud) -> F32:
    """Per-splat vectors [N, D] whose distances say how alike two splats' texels would be."""
    q = splats.quats.astype(np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    q *= np.where(q[:, :1] < 0, -1.0, 1.0)
    alpha = 1.0 / (1.0 + np.exp(-splats.opacity.astype(np.float64)))
    w = FEATURE_WEIGHTS
    return np.concatenate(
        [
            _standardise(log_transform(splats.means), w["position"]),
            _standardise(splats.log_scales, w["scale"]),
            _standardise(splats.f_dc, w["colour"]),
            _standardise(alpha[:, None], w["opacity"]),
            _standardise(q, w["rotation"]),
        ],
        axis=1,
    )


def _groups(height: int, width: int, block: int, rng: np.random.Generator) -> I64:
    """Cell indices [G, 4]: random groups of four cells, each within one block x block tile (mostly)."""
    rows, cols = np.divmod(np.arange(height * width), width)
    tile = (rows // block) * (width // block + 1) + cols // block
    order = np.lexsort((rng.random(tile.size), tile))
    usable = order.size - order.size % 4
    return order[:usable].reshape(-1, 4)


def _improve(grid: F32, target: F32, cells: I64) -> int:
    """Give each group of cells its best permutation of contents; returns how many groups changed."""
    elements = grid[cells]  # [G, 4, D]
    goals = target[cells]  # [G, 4, D]
    # cost[g, i, j]: element i placed at position j (the |element|^2 terms are the same for every permutation)
    cost = -2.0 * np.einsum("gid,gjd->gij", elements, goals) + (goals**2).sum(2)[:, None, :]
    totals = cost[:, PERMUTATIONS, np.arange(4)].sum(2)  # [G, 24]: perm p puts element p[j] at position j
    best = np.argmin(totals, axis=1)
    changed = best != 0
    if changed.any():
        perm = PERMUTATIONS[best[changed]]
        grid[cells[changed]] = np.take_along_axis(elements[changed], perm[:, :, None], axis=1)
    return int(changed.sum())


def plas_grid(features: F32, height: int, width: int, seed: int) -> I64:
    """A permutation of the H*W rows of `features` (grid in row-major order) that makes the grid smooth."""
    d = features.shape[1]
    grid = np.concatenate([features, np.arange(features.shape[0], dtype=np.float32)[:, None]], axis=1)
    rng = np.random.default_rng(seed)
    radius = max(height, width) / 2.0
    while radius >= 1.0:
        size = 2 * int(radius) + 1
        block = max(2, 2 * int(np.ceil(radius / 2)))
        for _ in range(PASSES_PER_RADIUS):
            image = grid[:, :d].reshape(height, width, d)
            target = uniform_filter(image, size=(size, size, 1), mode="reflect").reshape(-1, d)
            _improve(
                grid,
                np.concatenate([target, np.zeros((target.shape[0], 1), np.float32)], axis=1),
                _groups(height, width, block, rng),
            )
        radius *= RADIUS_DECAY
    return grid[:, d].astype(np.int64)


def plas_order(splats: SplatCloud, start: I64, size: tuple[int, int], seed: int) -> I64:
    """Refine a starting order (the Z-order) by PLAS over the texture's full rows; the tail stays as is."""
    width = size[0]
    full_rows = splats.count // width
    if full_rows < 2:
        return start
    head = start[: full_rows * width]
    features = sort_features(splats.take(head))
    perm = plas_grid(features, full_rows, width, seed)
    return np.concatenate([head[perm], start[full_rows * width :]])
