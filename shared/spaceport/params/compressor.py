"""Compressor job parameters."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

Ordering = Literal["morton", "plas"]

MAX_PALETTE_SIZE = 65_536
"""The most shN palette entries SOG holds (labels are 16-bit); splat-transform's size from 64k splats up."""


class CompressParams(Params):
    """How to encode a trained model as SOG v2 (the wire form is pinned by the kernel's golden events)."""

    sh_bands: int = Field(default=3, ge=0, le=3, description="higher-order SH bands kept (fewer if the PLY has fewer)")
    ordering: Ordering = Field(
        default="morton", description="texel order: Z-order of the position codes, or that refined by PLAS"
    )
    palette_size: int | None = Field(
        default=None, ge=1, le=MAX_PALETTE_SIZE, description="shN palette entries (None: N/20, 1,024..65,536)"
    )
    kmeans_iterations: int = Field(default=10, ge=1, description="mini-batch k-means steps for the shN palette")
    seed: int = Field(default=0, description="seeds k-means and PLAS: same input and seed, same bytes")
    write_bundle: bool = Field(default=True, description="also write the single-file .sog bundle")
