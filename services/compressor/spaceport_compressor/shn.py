"""Higher-order SH as a SOG palette: cluster, order the palette for WebP, quantise, lay out the atlas."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from spaceport_compressor import codebook
from spaceport_compressor.layout import atlas_codes, centroid_atlas, rgba
from spaceport_compressor.meta import ShNMeta, short_floats
from spaceport_compressor.palette import MAX_PALETTE, Palette, auto_palette_size, fit_palette

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class ShNCode:
    """What the shN textures and meta entry hold."""

    meta: ShNMeta
    atlas: U8  # [ceil(P/64), 64*C, 4]
    label_texels: U8  # [N, 4]
    backend: str


def _order_by_first_use(palette: Palette) -> Palette:
    """Renumber entries by the mean texel index of their splats: neighbouring texels get close labels."""
    n, size = palette.labels.shape[0], palette.centroids.shape[0]
    counts = np.bincount(palette.labels, minlength=size)
    mean_index = np.bincount(palette.labels, weights=np.arange(n, dtype=np.float64), minlength=size)
    rank = np.argsort(mean_index / np.maximum(counts, 1), kind="stable")
    new_id = np.empty(size, dtype=np.int64)
    new_id[rank] = np.arange(size)
    return Palette(palette.centroids[rank], new_id[palette.labels], palette.backend)


def encode_shn(sh_rest: F32, bands: int, palette_size: int | None, iterations: int, seed: int) -> ShNCode:
    """Palette, coefficient codebook and label texels for splats already in texture order."""
    n, dims = sh_rest.shape
    coeffs = dims // 3
    size = min(palette_size or auto_palette_size(n), MAX_PALETTE)
    palette = _order_by_first_use(fit_palette(sh_rest, size, iterations, seed))
    book = codebook.fit_codebook(palette.centroids)
    codes = codebook.encode(palette.centroids, book).reshape(-1, 3, coeffs)
    labels = palette.labels
    texels = rgba((labels & 0xFF).astype(np.uint8), (labels >> 8).astype(np.uint8),
                  np.zeros(n, np.uint8), 255)
    meta = ShNMeta(count=int(palette.centroids.shape[0]), bands=bands,
                   codebook=short_floats(book))
    return ShNCode(meta=meta, atlas=centroid_atlas(codes), label_texels=texels, backend=palette.backend)


def decode_shn(meta: ShNMeta, atlas: U8, label_texels: U8, coeffs: int) -> F32:
    """Per-splat higher-order SH [N, 3*C] from the palette (labels past the palette give zeros)."""
    book = np.asarray(meta.codebook, dtype=np.float32)
    centroids = book[atlas_codes(atlas, meta.count, coeffs)].reshape(meta.count, 3 * coeffs)
    labels = label_texels[:, 0].astype(np.int64) | (label_texels[:, 1].astype(np.int64) << 8)
    out = np.zeros((labels.shape[0], 3 * coeffs), dtype=np.float32)
    valid = labels < meta.count
    out[valid] = centroids[labels[valid]]
    return out
