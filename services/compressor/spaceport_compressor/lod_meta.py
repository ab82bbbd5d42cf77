"""`lod-meta.json` of PlayCanvas's streamed SOG (version 1), as typed models, written and read.

The layout is splat-transform 3.7.0's (`writers/write-lod.ts`), which the engine's `GSplatOctree` and
splat-transform's own `read-lod.ts` consume: a binary tree whose leaves name, per level, a run of rows
(`file`, `offset`, `count`) in one of `filenames` (each a SOG v2 `meta.json` folder); level 0 is the finest.
"""

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from spaceport_compressor.lod_chunks import ChunkParams, Node, Partition
from spaceport_compressor.meta import GENERATOR, short_floats

META_NAME = "lod-meta.json"


class LodFormatError(ValueError):
    """A lod-meta.json this reader cannot use."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Bound(_Model):
    """An axis-aligned box."""

    min: tuple[float, float, float]
    max: tuple[float, float, float]


class LodRun(_Model):
    """Rows `offset`..`offset + count` of file `file`."""

    file: int = Field(ge=0)
    offset: int = Field(ge=0)
    count: int = Field(ge=0)


class LodNode(_Model):
    """An inner node (children) or a leaf (lods: level -> run)."""

    bound: Bound
    children: tuple["LodNode", ...] | None = None
    lods: dict[int, LodRun] | None = None


class LodAsset(_Model):
    """Who wrote it and how it was cut."""

    generator: str = GENERATOR
    chunkGaussians: int = 0
    chunkExtent: float = 0.0
    chunkMinGaussians: int = 0


class LodMeta(_Model):
    """The whole manifest."""

    version: Literal[1] = 1
    asset: LodAsset = LodAsset()
    count: int
    counts: tuple[int, ...]
    lodLevels: int = Field(ge=1)
    lodErrors: bool = False
    filenames: tuple[str, ...]
    tree: LodNode

    @model_validator(mode="after")
    def _consistent(self) -> "LodMeta":
        if len(self.counts) != self.lodLevels or sum(self.counts) != self.count:
            raise ValueError(f"counts {self.counts} do not match lodLevels {self.lodLevels} and count {self.count}")
        for run_level, run in leaf_runs(self.tree):
            if run_level >= self.lodLevels or run.file >= len(self.filenames):
                raise ValueError(f"a leaf names level {run_level} / file {run.file} that does not exist")
        return self

    def to_json(self) -> bytes:
        """Compact JSON, as splat-transform writes it."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), separators=(",", ":")).encode()


def leaf_runs(node: LodNode) -> list[tuple[int, LodRun]]:
    """Every (level, run) of the leaves under `node`, depth first."""
    if node.children:
        return [pair for child in node.children for pair in leaf_runs(child)]
    return sorted((node.lods or {}).items())


def _node(node: Node) -> LodNode:
    bound = Bound(min=short_floats(node.bound_min), max=short_floats(node.bound_max))
    if node.children:
        return LodNode(bound=bound, children=tuple(_node(child) for child in node.children))
    runs = {level: LodRun(file=r.file, offset=r.offset, count=r.count) for level, r in node.runs.items()}
    return LodNode(bound=bound, lods=runs)


def lod_meta(cut: Partition, counts: list[int], params: ChunkParams) -> LodMeta:
    """The manifest of a partition of levels with `counts` splats."""
    asset = LodAsset(
        chunkGaussians=params.chunk_splats, chunkExtent=params.chunk_extent, chunkMinGaussians=params.chunk_min_splats
    )
    return LodMeta(
        asset=asset,
        count=sum(counts),
        counts=tuple(counts),
        lodLevels=len(counts),
        filenames=tuple(cut.filenames),
        tree=_node(cut.root),
    )


def read_lod_meta(raw: bytes) -> LodMeta:
    """Parse a lod-meta.json, or `LodFormatError`."""
    try:
        return LodMeta.model_validate(json.loads(raw))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise LodFormatError(f"invalid {META_NAME}: {exc}") from exc
