"""Seeded synthetic 3DGS scenes for tests and benchmarks (no trained model needed).

Like the scene of the SOG notes: 75 % of splats in clusters, 20 % on a ground plane, 5 % far floaters;
colours correlated in space, log-scales around ln 0.01, random rotations, bimodal opacity, shuffled rows.
Higher-order SH are either i.i.d. Laplace noise decaying by band (`noise`: the worst case for a palette) or
a per-cluster base plus 25 % noise (`structured`: closer to trained models, whose SH vary smoothly).
"""

from typing import Literal

import numpy as np

from spaceport_compressor.splats import SH_COEFFS_PER_CHANNEL, SplatCloud

ShMode = Literal["noise", "structured"]
BAND_SCALE = (0.12, 0.06, 0.03)


def _band_scales(bands: int) -> np.ndarray:
    """Laplace scale per coefficient (one channel) for bands 1..bands."""
    per = [
        np.full(SH_COEFFS_PER_CHANNEL[b] - SH_COEFFS_PER_CHANNEL[b - 1], BAND_SCALE[b - 1]) for b in range(1, bands + 1)
    ]
    return np.concatenate(per) if per else np.zeros(0)


def _positions(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    clusters = max(1, min(200, n // 50))
    centres = rng.uniform(-10, 10, (clusters, 3))
    n_cluster, n_ground = int(n * 0.75), int(n * 0.2)
    n_float = n - n_cluster - n_ground
    which = rng.integers(0, clusters, n_cluster)
    inside = centres[which] + rng.normal(0, 0.6, (n_cluster, 3))
    height = np.full(n_ground, -3.0) + rng.normal(0, 0.02, n_ground)
    ground = np.stack([rng.uniform(-15, 15, n_ground), height, rng.uniform(-15, 15, n_ground)], axis=1)
    direction = rng.normal(0, 1, (n_float, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    floaters = direction * rng.uniform(20, 120, (n_float, 1))
    group = np.concatenate([which, np.full(n_ground, clusters), np.full(n_float, clusters + 1)])
    return np.concatenate([inside, ground, floaters]), group


def synthetic_splats(n: int, sh_bands: int = 3, seed: int = 0, sh_mode: ShMode = "structured") -> SplatCloud:
    """A seeded scene of `n` splats with `sh_bands` higher-order SH bands."""
    rng = np.random.default_rng(seed)
    means, group = _positions(n, rng)
    groups = int(group.max()) + 1
    colour = 0.8 * np.sin(means[:, [0, 1, 2]] * 0.35 + rng.uniform(0, 6, 3)) + rng.normal(0, 0.15, (n, 3))
    colour += rng.normal(0, 0.5, (groups, 3))[group]
    quats = rng.normal(0, 1, (n, 4))
    log_scales = np.log(0.01) + rng.normal(0, 0.5, (n, 3)) + rng.normal(0, 0.5, (groups, 1))[group]
    opacity = np.where(rng.random(n) < 0.7, rng.normal(3.0, 1.0, n), rng.normal(-2.0, 1.5, n))
    scales = np.tile(_band_scales(sh_bands), 3)
    if sh_mode == "noise":
        sh_rest = rng.laplace(0, 1, (n, scales.size)) * scales
    else:
        base = rng.laplace(0, 1, (groups * 8, scales.size)) * scales
        sub = group * 8 + rng.integers(0, 8, n)
        sh_rest = base[sub] + 0.25 * rng.laplace(0, 1, (n, scales.size)) * scales
    shuffle = rng.permutation(n)
    return SplatCloud(
        means=means[shuffle].astype(np.float32),
        quats=quats[shuffle].astype(np.float32),
        log_scales=log_scales[shuffle].astype(np.float32),
        f_dc=colour[shuffle].astype(np.float32),
        opacity=opacity[shuffle].astype(np.float32),
        sh_rest=sh_rest[shuffle].astype(np.float32).reshape(n, -1),
    )
