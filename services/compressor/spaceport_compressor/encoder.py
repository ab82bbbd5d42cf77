"""Splats -> SOG v2 files (WebP images and meta.json) in memory, keeping the texture order for reports."""

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from spaceport.params.compressor import CompressParams
from spaceport_compressor import codebook
from spaceport_compressor.layout import encode_webp, pack_texels, rgba, texture_size
from spaceport_compressor.meta import CodebookMeta, MeansMeta, SogMeta, short_floats
from spaceport_compressor.ordering import morton_order
from spaceport_compressor.plas import plas_order
from spaceport_compressor.precision import coarsen_positions, encode_rotations, kept_splats
from spaceport_compressor.quantize import encode_opacity, encode_positions
from spaceport_compressor.shn import encode_shn, visibility_weights
from spaceport_compressor.splats import SplatCloud

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


@dataclass
class EncodedSog:
    """The files of one SOG (meta.json last), the splat order of the textures and what each step cost."""

    files: list[tuple[str, bytes]]
    meta: SogMeta
    order: I64  # [N] texel i holds input splat order[i]
    palette_backend: str = ""
    shn_levels: int | None = None
    step_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        """Sum of the file sizes."""
        return sum(len(data) for _, data in self.files)


class _Clock:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = round(self.steps.get(step, 0.0) + now - self._last, 4)
        self._last = now


def _channels(xyz: np.ndarray) -> np.ndarray:
    """Three uint8 columns [N, 3] as opaque RGBA texels [N, 4]."""
    return rgba(xyz[:, 0], xyz[:, 1], xyz[:, 2], 255)


def _order(splats: SplatCloud, cells: npt.NDArray[np.uint16], params: CompressParams, keep_order: bool) -> I64:
    if keep_order:
        return np.arange(splats.count, dtype=np.int64)
    order = morton_order(cells)
    if params.ordering == "plas":
        order = plas_order(splats, order, texture_size(splats.count), params.seed)
    return order


def _codebook_texels(
    values: npt.NDArray[np.float32], alpha: U8 | int, name: str, levels: int
) -> tuple[U8, CodebookMeta]:
    """Indices into a fitted 256-entry codebook of at most `levels` distinct values as RGB, `alpha` as A."""
    book = codebook.fit_codebook(values, levels)
    idx = codebook.encode(values, book)
    meta = CodebookMeta(codebook=short_floats(book), files=(name,))
    return rgba(idx[:, 0], idx[:, 1], idx[:, 2], alpha), meta


def encode_sog(splats: SplatCloud, params: CompressParams, keep_order: bool = False) -> EncodedSog:
    """Encode splats as SOG v2; higher-order SH beyond `params.sh_bands` are dropped, and so are splats less
    opaque than `params.min_opacity` (`order` then holds the kept ones only).

    `keep_order` keeps the input order in the textures (a streamed SOG's leaves are runs of rows)."""
    clock = _Clock()
    kept = kept_splats(splats, params.min_opacity)
    splats = splats.with_sh_bands(params.sh_bands).take(kept)
    size = texture_size(splats.count)
    position = encode_positions(splats.means)
    q = coarsen_positions(
        position.q, splats.means, position.mins, position.maxs, splats.log_scales, params.position_tolerance
    )
    order = _order(splats, position.q, params, keep_order)
    splats, q = splats.take(order), q[order]
    order = kept[order]
    clock.lap("order")
    abc, tag = encode_rotations(splats.quats, splats.log_scales, params.rotation_tolerance)
    scale_texels, scales_meta = _codebook_texels(splats.log_scales, 255, "scales.webp", params.scale_levels)
    opacity = encode_opacity(splats.opacity)
    sh0_texels, sh0_meta = _codebook_texels(splats.f_dc, opacity, "sh0.webp", params.color_levels)
    texels = {
        "means_l.webp": _channels((q & 0xFF).astype(np.uint8)),
        "means_u.webp": _channels((q >> 8).astype(np.uint8)),
        "scales.webp": scale_texels,
        "quats.webp": rgba(abc[:, 0], abc[:, 1], abc[:, 2], tag),
        "sh0.webp": sh0_texels,
    }
    images = {name: pack_texels(rows, size) for name, rows in texels.items()}
    clock.lap("quantize")
    shn_meta, backend, levels = None, "", None
    if splats.sh_bands > 0:
        weights = visibility_weights(splats.opacity, splats.log_scales) if params.weighted_palette else None
        shn = encode_shn(
            splats.sh_rest, splats.sh_bands, params.palette_size, params.kmeans_iterations, params.seed, weights
        )
        shn_meta, backend, levels = shn.meta, shn.backend, shn.levels
        images["shN_centroids.webp"] = shn.atlas
        images["shN_labels.webp"] = pack_texels(shn.label_texels, size)
        clock.lap("palette")
    bounds = MeansMeta(mins=short_floats(position.mins), maxs=short_floats(position.maxs))
    meta = SogMeta(count=splats.count, means=bounds, scales=scales_meta, sh0=sh0_meta, shN=shn_meta)
    files = [(name, encode_webp(images[name])) for name in meta.files]
    files.append(("meta.json", meta.to_json()))
    clock.lap("webp")
    return EncodedSog(
        files=files, meta=meta, order=order, palette_backend=backend, shn_levels=levels, step_seconds=clock.steps
    )
