"""Compressor job parameters."""

from typing import Literal

from pydantic import Field, field_validator

from spaceport.params.base import Params

Ordering = Literal["morton", "plas"]
ExtraFormat = Literal["spz", "glb"]
"""Web formats the compressor can write beside the SOG: Niantic's SPZ, glTF binary with KHR_gaussian_splatting."""

INVISIBLE_OPACITY = 0.5 / 255
"""The default `min_opacity`: below it a splat's SOG opacity byte rounds to 0 and every reader draws it with
alpha 0, so leaving it out removes nothing drawn (4.2 % of the splats of a 300k-splat GPU-trained fox); the
codebooks are then fit to the kept splats alone. Exact for float32 logits: kept if and only if the byte is >= 1."""

MAX_PALETTE_SIZE = 65_536
"""The most shN palette entries SOG holds (labels are 16-bit); splat-transform's size from 64k splats up."""


LOD_THRESHOLD = 1_000_000
"""Default splat count from which the streamed SOG is written (measured in benchmarks/compressor/RESULTS.md)."""


class CompressParams(Params):
    """How to encode a trained model as SOG v2 (the wire form is pinned by the kernel's golden events)."""

    sh_bands: int = Field(default=3, ge=0, le=3, description="higher-order SH bands kept (fewer if the PLY has fewer)")
    ordering: Ordering = Field(
        default="morton", description="texel order: Z-order of the position codes, or that refined by PLAS"
    )
    palette_size: int | None = Field(
        default=None, ge=1, le=MAX_PALETTE_SIZE, description="shN palette entries (None: N/20, 1,024..65,536)"
    )
    weighted_palette: bool = Field(
        default=True,
        description="shN palette minimises the error weighted by opacity x splat area (fox on an H200: the held-out "
        "drop 0.40 -> 0.22 dB at the same size; benchmarks/compressor/RESULTS.md)",
    )
    kmeans_iterations: int = Field(default=10, ge=1, description="mini-batch k-means steps for the shN palette")
    min_opacity: float = Field(
        default=INVISIBLE_OPACITY,
        ge=0.0,
        lt=1.0,
        description="splats less opaque than this (sigmoid) are left out of the SOG; the default leaves out those "
        "whose opacity byte would be 0, which no reader draws; 0 keeps every splat",
    )
    position_tolerance: float = Field(
        default=0.0, ge=0.0, description="position error allowed per axis, as a fraction of the splat's middle scale"
    )
    rotation_tolerance: float = Field(
        default=0.0,
        ge=0.0,
        description="surface move a rotation error may cause, as a fraction of the splat's middle scale",
    )
    scale_levels: int = Field(default=256, ge=2, le=256, description="distinct log-scales in the scales codebook")
    color_levels: int = Field(
        default=128, ge=2, le=256, description="distinct f_dc values in the sh0 codebook (256: 2.5 % larger, no better)"
    )
    seed: int = Field(default=0, description="seeds k-means and PLAS: same input and seed, same bytes")
    write_bundle: bool = Field(default=True, description="also write the single-file .sog bundle")
    lod_threshold: int | None = Field(
        default=LOD_THRESHOLD,
        ge=1,
        description="splats from which a streamed SOG (lod-meta.json + chunked levels) is also written; None: never",
    )
    lod_ratio: float = Field(default=4.0, ge=1.5, description="splats of a level per splat of the next coarser one")
    lod_coarsest: int = Field(
        default=65_536, ge=1, description="no coarser level is built below this many splats (the first to stream)"
    )
    formats: tuple[ExtraFormat, ...] = Field(
        default=(), description="extra formats written beside the SOG (scene.spz, scene.glb); none by default"
    )

    @field_validator("formats")
    @classmethod
    def _once_each(cls, formats: tuple[ExtraFormat, ...]) -> tuple[ExtraFormat, ...]:
        """Each format at most once."""
        if len(set(formats)) != len(formats):
            raise ValueError(f"formats {list(formats)} name a format twice")
        return formats
