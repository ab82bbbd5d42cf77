"""Higher-order SH as a SOG palette: cluster, order the palette, quantise its coefficients, lay out the atlas.

Two choices beyond the reference tool, both measured on 100k synthetic splats (structured SH):
- Palette entries are ordered by similarity (first principal component by rows of 64, the second within a
  row), so splats with alike SH get close labels: the label image shrinks by about 6 %.
- The coefficient codebook uses as few distinct levels as keep its error a small fraction of the palette's
  own (clustering) error. Clustering dominates the SH error at the default palette size, so 128 levels
  instead of 256 cost under 1 % more SH error and save about 15 % of the centroid image; with a palette
  nearly as large as the scene the clustering error is small and all 256 levels are kept.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spaceport.params.compressor import MAX_PALETTE_SIZE
from spaceport_compressor import codebook
from spaceport_compressor.layout import PALETTE_ROW, atlas_codes, centroid_atlas, rgba
from spaceport_compressor.meta import ShNMeta, short_floats
from spaceport_compressor.palette import Palette, auto_palette_size, fit_palette

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

LEVEL_CHOICES = (16, 32, 64, 128, 256)
QUANT_TO_CLUSTER = 0.15
"""Coefficient quantisation may add RMS error up to this fraction of the clustering RMS error (+1 % in total)."""


@dataclass(frozen=True)
class ShNCode:
    """What the shN textures and meta entry hold."""

    meta: ShNMeta
    atlas: U8  # [ceil(P/64), 64*C, 4]
    label_texels: U8  # [N, 4]
    backend: str
    levels: int


def _order_by_similarity(palette: Palette) -> Palette:
    """Renumber entries: rows of 64 by the first principal component, each row by the second."""
    centred = palette.centroids.astype(np.float64) - palette.centroids.mean(0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    pcs = centred @ axes[:2].T if axes.shape[0] >= 2 else np.pad(centred @ axes.T, ((0, 0), (0, 1)))
    by_first = np.argsort(pcs[:, 0], kind="stable")
    row = np.arange(by_first.size) // PALETTE_ROW
    rank = by_first[np.lexsort((pcs[by_first, 1], row))]
    new_id = np.empty(rank.size, dtype=np.int64)
    new_id[rank] = np.arange(rank.size)
    return Palette(palette.centroids[rank], new_id[palette.labels], palette.backend)


def _rms(residual: F64, weights: F64) -> float:
    return float(np.sqrt((weights * (residual**2).sum(1)).sum() / (weights.sum() * residual.shape[1])))


def choose_levels(sh_rest: F32, palette: Palette) -> tuple[int, F32]:
    """The fewest codebook levels whose error stays within QUANT_TO_CLUSTER of the clustering error."""
    centroids = palette.centroids.astype(np.float64)
    cluster = _rms(sh_rest - centroids[palette.labels], np.ones(sh_rest.shape[0]))
    members = np.bincount(palette.labels, minlength=centroids.shape[0]).astype(np.float64)
    books = codebook.fit_codebooks(centroids, LEVEL_CHOICES)
    for levels in LEVEL_CHOICES:
        quantised = codebook.decode(codebook.encode(centroids, books[levels]), books[levels])
        if _rms(centroids - quantised, members) <= QUANT_TO_CLUSTER * cluster:
            return levels, books[levels]
    return LEVEL_CHOICES[-1], books[LEVEL_CHOICES[-1]]


def visibility_weights(opacity: F32, log_scales: F32) -> F64:
    """How much of the image a splat's SH can colour: opacity x the area of its two largest axes, the top
    1 % clipped so a few huge splats do not take the palette."""
    alpha = 1.0 / (1.0 + np.exp(-opacity.astype(np.float64)))
    area = np.exp(np.sort(log_scales.astype(np.float64), axis=1)[:, 1:].sum(1))
    weight = alpha * area
    return np.minimum(weight, np.percentile(weight, 99))


def encode_shn(
    sh_rest: F32, bands: int, palette_size: int | None, iterations: int, seed: int, weights: F64 | None = None
) -> ShNCode:
    """Palette, coefficient codebook and label texels for splats already in texture order; `weights` [N]
    make the palette minimise the weighted error (`visibility_weights`)."""
    n, dims = sh_rest.shape
    coeffs = dims // 3
    size = min(palette_size or auto_palette_size(n), MAX_PALETTE_SIZE)
    palette = _order_by_similarity(fit_palette(sh_rest, size, iterations, seed, weights=weights))
    levels, book = choose_levels(sh_rest, palette)
    codes = codebook.encode(palette.centroids, book).reshape(-1, 3, coeffs)
    labels = palette.labels
    texels = rgba((labels & 0xFF).astype(np.uint8), (labels >> 8).astype(np.uint8), np.zeros(n, np.uint8), 255)
    meta = ShNMeta(count=int(palette.centroids.shape[0]), bands=bands, codebook=short_floats(book))
    return ShNCode(meta=meta, atlas=centroid_atlas(codes), label_texels=texels, backend=palette.backend, levels=levels)


def decode_shn(meta: ShNMeta, atlas: U8, label_texels: U8, coeffs: int) -> F32:
    """Per-splat higher-order SH [N, 3*C] from the palette (labels past the palette give zeros)."""
    book = np.asarray(meta.codebook, dtype=np.float32)
    centroids = book[atlas_codes(atlas, meta.count, coeffs)].reshape(meta.count, 3 * coeffs)
    labels = label_texels[:, 0].astype(np.int64) | (label_texels[:, 1].astype(np.int64) << 8)
    out = np.zeros((labels.shape[0], 3 * coeffs), dtype=np.float32)
    valid = labels < meta.count
    out[valid] = centroids[labels[valid]]
    return out
