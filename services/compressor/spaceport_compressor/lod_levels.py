"""Coarser levels of detail of a splat model: splats merged per voxel, their moments matched.

Level 0 is the model itself; each coarser level merges the splats of the level before it that share a voxel,
the voxel size found by bisection so that the level keeps about 1/`ratio` of them. A merged splat keeps the
weighted mean and covariance (law of total variance) of its members, weighted by opacity x footprint area, and
the opacity that conserves their total opacity-area, capped below 1 (as splat-transform's decimation does).
"""

import numpy as np
import numpy.typing as npt

from spaceport_compressor.splats import SplatCloud

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

GRID_BITS = 20
"""Voxel keys hold 20 bits per axis: the finest voxel is the model's extent / 2**20."""
BISECTION_STEPS = 14
MAX_OPACITY = 0.99


def _sigmoid(x: npt.ArrayLike) -> F64:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def rotation_matrices(quats: npt.ArrayLike) -> F64:
    """[N, 3, 3] rotations of (w, x, y, z) quaternions (normalised first)."""
    q = np.asarray(quats, dtype=np.float64)
    w, x, y, z = (q / np.linalg.norm(q, axis=1, keepdims=True)).T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=1),
        ],
        axis=1,
    )


def _quats_of(r: F64) -> F64:
    """(w, x, y, z) of proper rotations [N, 3, 3], from the largest of the four pivots per row."""
    d0, d1, d2 = r[:, 0, 0], r[:, 1, 1], r[:, 2, 2]
    pivots = np.stack([d0 + d1 + d2, d0 - d1 - d2, d1 - d0 - d2, d2 - d0 - d1], axis=1)
    pivot = np.argmax(pivots, axis=1)
    s = 2.0 * np.sqrt(np.maximum(1.0 + pivots.max(axis=1), 1e-30))  # 4 * the pivot component
    a, b, c = r[:, 2, 1] - r[:, 1, 2], r[:, 0, 2] - r[:, 2, 0], r[:, 1, 0] - r[:, 0, 1]  # 4w * (x, y, z)
    e, f, g = r[:, 0, 1] + r[:, 1, 0], r[:, 0, 2] + r[:, 2, 0], r[:, 1, 2] + r[:, 2, 1]  # 4xy, 4xz, 4yz
    table = np.stack(
        [
            np.stack([s * s / 4, a, b, c], axis=1),
            np.stack([a, s * s / 4, e, f], axis=1),
            np.stack([b, e, s * s / 4, g], axis=1),
            np.stack([c, f, g, s * s / 4], axis=1),
        ],
        axis=1,
    )  # [N, pivot, 4]: 4 * q * q[pivot]
    return table[np.arange(r.shape[0]), pivot] / s[:, None]


def _cells(means: F64, origin: F64, voxel: float) -> I64:
    cells = np.floor((means - origin) / voxel).astype(np.int64)
    return np.clip(cells, 0, (1 << GRID_BITS) - 1)


def _keys(cells: I64) -> I64:
    return (cells[:, 0] << (2 * GRID_BITS)) | (cells[:, 1] << GRID_BITS) | cells[:, 2]


def voxel_groups(means: F64, voxel: float) -> tuple[I64, int]:
    """Group id per splat [N] of the voxels of size `voxel`, and the number of groups."""
    origin = means.min(axis=0)
    _, inverse = np.unique(_keys(_cells(means, origin, voxel)), return_inverse=True)
    return inverse.ravel().astype(np.int64), int(inverse.max()) + 1 if inverse.size else 0


def voxel_for(means: F64, target: int) -> float:
    """The voxel size (found by bisection in log space) whose groups number about `target`."""
    extent = float((means.max(axis=0) - means.min(axis=0)).max()) or 1.0
    low, high = np.log2(extent / (1 << GRID_BITS)), np.log2(extent)
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (low + high)
        if voxel_groups(means, float(2.0**mid))[1] > target:
            low = mid
        else:
            high = mid
    return float(2.0**high)


def _weighted_sum(groups: I64, count: int, values: F64) -> F64:
    """Per-group sums [M, C] of per-splat values [N, C]."""
    return np.stack([np.bincount(groups, values[:, c], minlength=count) for c in range(values.shape[1])], axis=1)


def merge_groups(splats: SplatCloud, groups: I64, count: int) -> SplatCloud:
    """One splat per group: moment-matched position and shape, weighted colour, conserved opacity-area."""
    means = splats.means.astype(np.float64)
    scales = np.exp(splats.log_scales.astype(np.float64))
    rot = rotation_matrices(splats.quats)
    cov = np.einsum("nij,nj,nkj->nik", rot, scales**2, rot)  # [N, 3, 3]
    alpha = _sigmoid(splats.opacity)
    ordered = np.sort(scales, axis=1)
    area = np.pi * ordered[:, 1] * ordered[:, 2]
    w = alpha * area + 1e-30
    total = np.bincount(groups, w, minlength=count)
    anchor = np.zeros((count, 3))
    anchor[groups] = means  # any member: centres the second moments so large coordinates cancel nothing
    local = means - anchor[groups]
    mean_local = _weighted_sum(groups, count, local * w[:, None]) / total[:, None]
    second = cov + np.einsum("ni,nj->nij", local, local)
    merged_cov = _weighted_sum(groups, count, (second * w[:, None, None]).reshape(-1, 9)).reshape(-1, 3, 3)
    merged_cov = merged_cov / total[:, None, None] - np.einsum("ni,nj->nij", mean_local, mean_local)
    evals, evecs = np.linalg.eigh(merged_cov + np.eye(3) * 1e-12)
    evecs[np.linalg.det(evecs) < 0, :, 0] *= -1
    new_scales = np.sqrt(np.maximum(evals, 1e-18))
    new_area = np.pi * new_scales[:, 1] * new_scales[:, 2]
    mass = np.bincount(groups, alpha * area, minlength=count)
    new_alpha = np.clip(mass / new_area, 1e-6, MAX_OPACITY)
    colour = _weighted_sum(groups, count, splats.f_dc.astype(np.float64) * w[:, None]) / total[:, None]
    sh = np.zeros((count, splats.sh_rest.shape[1]))
    if splats.sh_rest.shape[1]:
        sh = _weighted_sum(groups, count, splats.sh_rest.astype(np.float64) * w[:, None]) / total[:, None]
    return SplatCloud(
        means=(anchor + mean_local).astype(np.float32),
        quats=_quats_of(evecs).astype(np.float32),
        log_scales=np.log(new_scales).astype(np.float32),
        f_dc=colour.astype(np.float32),
        opacity=np.log(new_alpha / (1.0 - new_alpha)).astype(np.float32),
        sh_rest=sh.astype(np.float32),
    )


def coarser_level(splats: SplatCloud, ratio: float) -> SplatCloud:
    """About `splats.count / ratio` splats standing for `splats`."""
    means = splats.means.astype(np.float64)
    target = max(1, int(np.ceil(splats.count / ratio)))
    groups, count = voxel_groups(means, voxel_for(means, target))
    return merge_groups(splats, groups, count)


def build_levels(splats: SplatCloud, ratio: float, min_splats: int, max_levels: int) -> list[SplatCloud]:
    """Level 0 (the model) and coarser levels, each about 1/`ratio` of the one before, while above `min_splats`."""
    levels = [splats]
    while len(levels) < max_levels and levels[-1].count > min_splats:
        coarser = coarser_level(levels[-1], ratio)
        if coarser.count >= levels[-1].count:
            break
        levels.append(coarser)
    return levels
