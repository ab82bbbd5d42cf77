"""Compressor job parameters."""

from typing import Literal

from pydantic import Field

from spaceport.params.base import Params

Ordering = Literal["morton", "plas"]


class CompressParams(Params):
    """How to encode a trained model as SOG."""

    sh_bands: int = Field(default=3, ge=0, le=3)
    ordering: Ordering = "morton"
    palette_size: int | None = Field(default=None, ge=1, le=65536)
    kmeans_iterations: int = Field(default=10, ge=1)
    seed: int = 0
    write_bundle: bool = True
