"""`meta.json` of SOG v2, as a typed model (key order = what splat-transform writes)."""

from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

GENERATOR = "spaceport-compressor 0.1.0"
CODEBOOK_LENGTH = 256


def short_floats(values: npt.ArrayLike) -> tuple[float, ...]:
    """float32 values as the shortest decimals that read back as the same float32 (a smaller meta.json)."""
    return tuple(float(str(v)) for v in np.asarray(values, dtype=np.float32).ravel())


class _Meta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AssetMeta(_Meta):
    """Who wrote the file."""

    generator: str = GENERATOR


class MeansMeta(_Meta):
    """Log-space position bounds and the low/high byte images."""

    mins: tuple[float, float, float]
    maxs: tuple[float, float, float]
    files: tuple[str, str] = ("means_l.webp", "means_u.webp")


class CodebookMeta(_Meta):
    """A 256-entry scalar table and the image of its indices."""

    codebook: tuple[float, ...] = Field(min_length=CODEBOOK_LENGTH, max_length=CODEBOOK_LENGTH)
    files: tuple[str]


class QuatsMeta(_Meta):
    """The smallest-three rotation image."""

    files: tuple[str] = ("quats.webp",)


class ShNMeta(_Meta):
    """The higher-order SH palette: size, bands, coefficient table, atlas and labels."""

    count: int = Field(ge=1, le=65536)
    bands: int = Field(ge=1, le=3)
    codebook: tuple[float, ...] = Field(min_length=CODEBOOK_LENGTH, max_length=CODEBOOK_LENGTH)
    files: tuple[str, str] = ("shN_centroids.webp", "shN_labels.webp")


class SogMeta(_Meta):
    """The whole of a v2 `meta.json`."""

    version: Literal[2] = 2
    asset: AssetMeta = AssetMeta()
    count: int = Field(ge=1)
    model: Literal["antialiased", "2dgs"] | None = None
    means: MeansMeta
    scales: CodebookMeta
    quats: QuatsMeta = QuatsMeta()
    sh0: CodebookMeta
    shN: ShNMeta | None = None

    def to_json(self) -> bytes:
        """Minified JSON, optional keys left out."""
        return self.model_dump_json(exclude_none=True).encode()

    @property
    def files(self) -> tuple[str, ...]:
        """Every image the meta names, in write order."""
        names = [*self.means.files, *self.scales.files, *self.quats.files, *self.sh0.files]
        return tuple(names + list(self.shN.files if self.shN else ()))
