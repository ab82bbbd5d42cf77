"""Compressor job parameters."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

Ordering = Literal["morton", "plas"]


class CompressParams(Params):
    """How to encode a trained model as SOG v2."""

    sh_bands: int = Field(
        default=3, ge=0, le=3, description="higher-order SH bands kept (fewer if the PLY has fewer)"
    )
    ordering: Ordering = Field(
        default="morton", description="texel order: Z-order of the position codes, or that refined by PLAS"
    )
    palette_size: int | None = Field(
        default=None, ge=1, le=65536, description="shN palette entries (None: N/16, 1,024..65,536)"
    )
    kmeans_iterations: int = Field(default=5, ge=1, le=1000, description="k-means steps for the shN palette")
    seed: int = Field(default=0, description="seeds k-means and PLAS: same input and seed, same bytes")
    webp_method: int = Field(default=2, ge=0, le=6, description="libwebp lossless effort (method)")
    webp_quality: int = Field(default=50, ge=0, le=100, description="libwebp lossless effort (quality)")
    write_bundle: bool = Field(default=True, description="also write the single-file .sog bundle")
    measure_fidelity: bool = Field(default=True, description="decode the result and report round-trip errors")
